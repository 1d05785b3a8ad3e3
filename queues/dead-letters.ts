import type { ExternalRecord } from '../connectors/contract.js';
import type { DeadLetter, DeadLetterFilter } from '../core/store/dead-letters-repository.js';
import type { Store } from '../core/store/store.js';
import { resend, type SourceQueue, type TargetQueue } from './resend.js';

export interface DeadLetterDeps {
  readonly store: Pick<Store, 'deadLetters' | 'links'>;
  readonly targets: ReadonlyMap<string, TargetQueue>;
  readonly sources: ReadonlyMap<string, SourceQueue>;
}

/** The dead letters: listed, replayed (one by one or by filter) and discarded. */
export class DeadLetterDesk {
  private readonly replayers = new Map<string, (letter: DeadLetter, by: string) => Promise<boolean>>();

  constructor(private readonly deps: DeadLetterDeps) {}

  /**
   * Lets another way out than record delivery (feeds: target `feed:<name>`) replay its own letters:
   * those whose target starts with `prefix`. `replay` answers whether it replayed the letter.
   */
  replayWith(prefix: string, replay: (letter: DeadLetter, by: string) => Promise<boolean>): void {
    this.replayers.set(prefix, replay);
  }

  async list(filter: DeadLetterFilter, limit: number, afterId?: number): Promise<DeadLetter[]> {
    return this.deps.store.deadLetters.list(filter, limit, afterId);
  }

  /**
   * Replays dead letters: outbound ones deliver the record's current state again (not the stored
   * payload), inbound ones ingest the stored change again. Returns the letters replayed.
   */
  async replay(ids: readonly string[], by: string): Promise<string[]> {
    const { store, targets, sources } = this.deps;
    const letters = (await Promise.all(ids.map((id) => store.deadLetters.get(id)))).filter((l): l is DeadLetter => l !== undefined && l.state === 'open');
    const replayed: string[] = [];
    for (const l of letters) {
      const other = [...this.replayers].find(([prefix]) => l.target.startsWith(prefix))?.[1];
      if (other) {
        if (await other(l, by)) replayed.push(l.id);
        continue;
      }
      if (l.direction === 'out') {
        const t = targets.get(l.target);
        if (!t || !t.wants(l.entity)) continue;
        await resend(store.links, l.target, t, l.entity, [l.recordId]);
      } else {
        const s = sources.get(l.target);
        if (!s || !s.reads(l.entity) || !l.recordId) continue;
        const mapping = s.source.inbound[l.entity];
        if (!mapping || Object.keys(l.payload).length === 0) continue;
        // Inbound letters keep the source's fields when mapping failed, or the mapped change when the hub refused it.
        await s.push(l.entity, [l.payload as ExternalRecord], `replay:${l.id}`);
      }
      replayed.push(l.id);
    }
    await store.deadLetters.resolve(replayed, 'replayed', by, new Date().toISOString());
    return replayed;
  }

  /** Replays the open letters that match the filter, page by page, at most `max`. */
  async replayWhere(filter: DeadLetterFilter, by: string, max = 10_000): Promise<string[]> {
    const out: string[] = [];
    let after: number | undefined;
    while (out.length < max) {
      const page = await this.deps.store.deadLetters.list({ ...filter, state: 'open' }, 500, after);
      if (page.length === 0) break;
      out.push(...(await this.replay(page.map((l) => l.id), by)));
      after = Number(page[page.length - 1]!.id);
    }
    return out;
  }

  /** Discards the open letters that match the filter, page by page, at most `max`; answers their ids. */
  async discardWhere(filter: DeadLetterFilter, by: string, max = 10_000): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      // Discarded letters leave the open set, so each page is read from the start again.
      const page = await this.deps.store.deadLetters.list({ ...filter, state: 'open' }, Math.min(500, max - out.length));
      if (page.length === 0 || out.length >= max) break;
      const ids = page.map((l) => l.id);
      await this.discard(ids, by);
      out.push(...ids);
      if (out.length >= max) break;
    }
    return out;
  }

  /** Discards open letters; returns how many were open. */
  async discard(ids: readonly string[], by: string): Promise<number> {
    return this.deps.store.deadLetters.resolve(ids, 'discarded', by, new Date().toISOString());
  }
}
