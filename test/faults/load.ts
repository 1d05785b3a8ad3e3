import type { HubApi } from './hub.js';
import { sleep } from './services.js';

/**
 * API writers: several loops PATCHing the `phone` of customers through the hub's REST API, as the
 * CRM's users do, concentrated on a hot set so that writers meet on the same records. Every PATCH is
 * recorded: the last one answered 200 is the value the record must end with, unless a later one
 * whose outcome is unknown (a timeout, a 5xx while the store was down) committed after all; such
 * values are kept as candidates.
 */

interface Write {
  readonly value: string;
  readonly startedAt: number;
  endedAt: number;
  /** ok: answered 200; unknown: a timeout, a lost connection or a 5xx (it may have committed). */
  outcome: 'ok' | 'unknown';
}

export class ApiWriters {
  /** hub code → what was written. */
  readonly log = new Map<string, Write[]>();
  readonly stats = { ok: 0, failed: 0, statuses: new Map<string, number>() };
  private running = false;
  private loops: Promise<void>[] = [];
  private seq = 0;

  /**
   * @param ids resolves the hub ids of hot codes that exist so far (code → id); called now and then.
   */
  constructor(private readonly api: () => HubApi | undefined, private readonly ids: () => Promise<Map<string, string>>, private writers = 4, private pauseMs = 40) {}

  /** Before `start()`: how many writers, and their pause between PATCHes. */
  setWriters(writers: number, pauseMs: number): void {
    this.writers = writers;
    this.pauseMs = pauseMs;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    let known = new Map<string, string>();
    let refreshedAt = 0;
    const refresh = async () => {
      if (Date.now() - refreshedAt < 1000) return;
      refreshedAt = Date.now();
      try {
        known = await this.ids();
      } catch {
        // the store may be down: keep the last list
      }
    };
    for (let w = 0; w < this.writers; w++) {
      this.loops.push(
        (async () => {
          while (this.running) {
            await refresh();
            const api = this.api();
            const codes = [...known.keys()];
            if (codes.length === 0 || api === undefined) {
              await sleep(200);
              continue;
            }
            const code = codes[Math.floor(Math.random() * codes.length)]!;
            const seq = ++this.seq;
            const value = `+41 44 ${String(seq).padStart(7, '0')} w${w}`;
            const write: Write = { value, startedAt: performance.now(), endedAt: Infinity, outcome: 'unknown' };
            let status = 'error';
            try {
              const res = await api.call('PATCH', `/api/v1/customers/${known.get(code)}`, { phone: value }, 8000);
              status = String(res.status);
            } catch (error) {
              status = (error as Error).name === 'TimeoutError' ? 'timeout' : 'connection';
            }
            this.stats.statuses.set(status, (this.stats.statuses.get(status) ?? 0) + 1);
            if (status === '200') {
              this.stats.ok++;
              write.outcome = 'ok';
              write.endedAt = performance.now();
            } else this.stats.failed++;
            // A 4xx was refused and changed nothing; anything else may have committed.
            if (!/^4\d\d$/.test(status)) this.log.set(code, [...(this.log.get(code) ?? []), write]);
            if (status !== '200') await sleep(200);
            await sleep(this.pauseMs);
          }
        })(),
      );
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  /**
   * The phone values a record may end with: every write not certainly overtaken, that is every write
   * except a confirmed one that ended before the latest confirmed write started (writes whose outcome
   * is unknown may have committed at any time). `undefined` stands for "never written".
   */
  candidates(code: string): { written: boolean; values: Set<string | undefined> } {
    const writes = this.log.get(code);
    if (!writes || writes.length === 0) return { written: false, values: new Set([undefined]) };
    const confirmed = writes.filter((w) => w.outcome === 'ok');
    const latestStart = confirmed.reduce((m, w) => Math.max(m, w.startedAt), -Infinity);
    const values = new Set<string | undefined>(writes.filter((w) => w.outcome === 'unknown' || w.endedAt >= latestStart).map((w) => w.value));
    if (confirmed.length === 0) values.add(undefined);
    return { written: true, values };
  }

  statusSummary(): string {
    return [...this.stats.statuses.entries()].map(([s, n]) => `${s}×${n}`).join(' ');
  }
}
