import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';

export const OUTCOMES = ['delivered', 'unchanged', 'deleted', 'dead_lettered', 'retried', 'out_of_scope', 'withdrawn', 'left_scope', 'ingested', 'created', 'echo', 'delete_ignored', 'ignored_fields', 'conflicts', 'failed', 'deferred'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Counts of what happened to a batch's or page's records, by outcome. */
export class Tally {
  readonly counts: Partial<Record<Outcome, number>> = {};
  bump(outcome: Outcome, n = 1): void {
    this.counts[outcome] = (this.counts[outcome] ?? 0) + n;
  }
}

export interface FlowStats {
  readonly counts: Readonly<Partial<Record<Outcome, number>>>;
  readonly lastSuccessAt: string | null;
  readonly lastErrorAt: string | null;
  readonly lastErrorCode: string | null;
  /** Inbound: when the last read that reached the end of the source's changes began. */
  readonly caughtUpAt: string | null;
}

/**
 * Per system, entity and direction: counts of what happened to records, the last success and the
 * last error (its code only: codes never carry a value). Kept in Redis so every process adds to and
 * reads the same figures; mirrored into this process's Prometheus counters.
 */
export class SyncStats {
  private readonly counter: Counter<'system' | 'entity' | 'direction' | 'outcome'> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    registry?: Registry,
  ) {
    if (registry) {
      const existing = registry.getSingleMetric('hub_sync_records_total') as Counter<'system' | 'entity' | 'direction' | 'outcome'> | undefined;
      this.counter =
        existing ??
        new Counter({ name: 'hub_sync_records_total', help: 'Records handled by the sync engine, by system, entity, direction and outcome', labelNames: ['system', 'entity', 'direction', 'outcome'], registers: [registry] });
    }
  }

  private key(system: string, entity: string, direction: 'in' | 'out'): string {
    return `${this.prefix}:sync:stats:${system}:${entity}:${direction}`;
  }

  async add(system: string, entity: string, direction: 'in' | 'out', counts: Partial<Record<Outcome, number>>, success: boolean, errorCode?: string): Promise<void> {
    const key = this.key(system, entity, direction);
    const m = this.redis.multi();
    for (const [outcome, n] of Object.entries(counts) as [Outcome, number][]) {
      if (!n) continue;
      m.hincrby(key, outcome, n);
      this.counter?.inc({ system, entity, direction, outcome }, n);
    }
    const now = new Date().toISOString();
    if (success) m.hset(key, 'lastSuccessAt', now);
    if (errorCode) m.hset(key, 'lastErrorAt', now, 'lastErrorCode', errorCode.slice(0, 64));
    await m.exec();
  }

  /** Inbound: a read that began at `at` reached the end of the source's changes. */
  async caughtUp(system: string, entity: string, at: string): Promise<void> {
    await this.redis.hset(this.key(system, entity, 'in'), 'caughtUpAt', at);
  }

  async get(system: string, entity: string, direction: 'in' | 'out'): Promise<FlowStats> {
    const h = await this.redis.hgetall(this.key(system, entity, direction));
    const counts: Partial<Record<Outcome, number>> = {};
    for (const o of OUTCOMES) if (h[o] !== undefined) counts[o] = Number(h[o]);
    return { counts, lastSuccessAt: h['lastSuccessAt'] ?? null, lastErrorAt: h['lastErrorAt'] ?? null, lastErrorCode: h['lastErrorCode'] ?? null, caughtUpAt: h['caughtUpAt'] ?? null };
  }
}
