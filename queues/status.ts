import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';
import type { EntityName } from '../core/model/entities.js';
import type { Store } from '../core/store/store.js';
import type { BreakerStatus } from './breaker.js';
import type { ConnectorCheck, ConnectorChecks } from './checks.js';
import type { TargetDelivery } from './delivery.js';
import type { SourceRunner } from './sources.js';
import { withProgress, type RunView } from './runs.js';
import type { FlowStats, SyncStats } from './stats.js';

export interface EntityStatus {
  readonly entity: EntityName;
  readonly direction: 'in' | 'out';
  readonly lastSuccessAt: string | null;
  readonly lastErrorAt: string | null;
  readonly lastErrorCode: string | null;
  /**
   * Outbound: age of the oldest delivery not yet done. Inbound: how far behind the source the hub may
   * be, the seconds since a read last reached the end of the source's changes (null: never yet, or
   * the source is not polled).
   */
  readonly lagSeconds: number | null;
  readonly counts: FlowStats['counts'];
  readonly openDeadLetters: number;
}

export interface ConnectorStatus {
  readonly id: string;
  readonly roles: ('target' | 'source')[];
  readonly state: ConnectorState;
  readonly breaker: BreakerStatus | null;
  readonly queue: { readonly waiting: number; readonly active: number; readonly delayed: number; readonly failed: number } | null;
  readonly entities: EntityStatus[];
  /** Backfills and reconciliations not yet finished, with their progress; `stalled` when one stopped moving. */
  readonly runs: RunView[];
  /** The last `check()` of the connector (at the workers' start, or on demand); null before the first. */
  readonly check: ConnectorCheck | null;
}

/**
 * `paused`: the breaker is open; `stalled`: a run stopped moving; `degraded`: half open, or an error
 * in the last 30 s or newer than the last success; `backfilling`: a run is under way; `ok`: deliveries pending;
 * `idle`: nothing to do.
 */
/** A connector with an error this recent shows `degraded` even if deliveries also succeed (ms). */
export const RECENT_ERROR_MS = 30_000;

export const CONNECTOR_STATES = ['ok', 'degraded', 'paused', 'idle', 'backfilling', 'stalled'] as const;
export type ConnectorState = (typeof CONNECTOR_STATES)[number];

export interface StatusDeps {
  readonly targets: ReadonlyMap<string, TargetDelivery>;
  readonly sources: ReadonlyMap<string, SourceRunner>;
  readonly stats: SyncStats;
  readonly store: Store;
  /** The last connector checks; without them every `check` is null. */
  readonly checks?: Pick<ConnectorChecks, 'last'>;
}

/** Per connector and entity: state, breaker, queue depths, lag, counts, last success and error code. */
export async function connectorStatus(deps: StatusDeps): Promise<ConnectorStatus[]> {
  const out: ConnectorStatus[] = [];
  const checks = (await deps.checks?.last()) ?? new Map<string, ConnectorCheck>();
  for (const id of [...new Set([...deps.targets.keys(), ...deps.sources.keys()])].sort()) {
    const t = deps.targets.get(id);
    const s = deps.sources.get(id);
    const entities: EntityStatus[] = [];
    let queue: ConnectorStatus['queue'] = null;
    let breaker: BreakerStatus | null = null;
    if (t) {
      const d = await t.depth();
      queue = { waiting: d.waiting, active: d.active, delayed: d.delayed, failed: d.failed };
      breaker = await t.breaker.status();
      for (const entity of Object.keys(t.target.routes) as EntityName[]) {
        const { caughtUpAt: _, ...f } = await deps.stats.get(id, entity, 'out');
        entities.push({ entity, direction: 'out', ...f, lagSeconds: d.oldestMs === null ? 0 : Math.round(d.oldestMs / 100) / 10, openDeadLetters: await deps.store.deadLetters.count({ target: id, entity, state: 'open', direction: 'out' }) });
      }
    }
    if (s) {
      for (const entity of s.settings.entities) {
        const { caughtUpAt, ...f } = await deps.stats.get(id, entity, 'in');
        const polled = s.settings.pollIntervalMs > 0;
        entities.push({ entity, direction: 'in', ...f, lagSeconds: polled && caughtUpAt ? Math.max(0, Math.round((Date.now() - Date.parse(caughtUpAt)) / 100) / 10) : null, openDeadLetters: await deps.store.deadLetters.count({ target: id, entity, state: 'open', direction: 'in' }) });
      }
    }
    const runs = (await deps.store.runs.list({ connector: id, states: ['queued', 'running'], limit: 20 })).map(withProgress);
    const busy = (queue?.waiting ?? 0) + (queue?.active ?? 0) + (queue?.delayed ?? 0) > 0;
    // An error in the same batch as a success, or lately among successes (a target failing one request in
    // three), is a fault while it lasts: the connector shows degraded until it has been clear for a while.
    const failing = entities.some((e) => e.lastErrorAt && (!e.lastSuccessAt || e.lastErrorAt >= e.lastSuccessAt || Date.now() - Date.parse(e.lastErrorAt) < RECENT_ERROR_MS));
    const state: ConnectorState =
      breaker?.state === 'open' ? 'paused' : runs.some((r) => r.stalled) ? 'stalled' : breaker?.state === 'half_open' || failing ? 'degraded' : runs.length > 0 ? 'backfilling' : busy ? 'ok' : 'idle';
    out.push({ id, roles: [...(t ? ['target' as const] : []), ...(s ? ['source' as const] : [])], state, breaker, queue, entities, runs, check: checks.get(id) ?? null });
  }
  return out;
}

/**
 * Prometheus gauges of the sync engine, read when scraped. The queue-depth and lag gauges share one
 * read of each target's queue per scrape.
 */
export function registerSyncGauges(registry: Registry, deps: StatusDeps): void {
  if (registry.getSingleMetric('hub_sync_queue_jobs')) return;
  let snapshot: { at: number; depths: Promise<Map<string, Awaited<ReturnType<TargetDelivery['depth']>>>> } | undefined;
  const depths = () => {
    if (!snapshot || Date.now() - snapshot.at > 1000) {
      snapshot = {
        at: Date.now(),
        depths: (async () => {
          const m = new Map<string, Awaited<ReturnType<TargetDelivery['depth']>>>();
          for (const t of deps.targets.values()) {
            const d = await t.depth().catch(() => undefined);
            if (d) m.set(t.name, d);
          }
          return m;
        })(),
      };
    }
    return snapshot.depths;
  };
  new Gauge({
    name: 'hub_sync_queue_jobs',
    help: 'Delivery jobs per target and state',
    labelNames: ['target', 'state'],
    registers: [registry],
    async collect() {
      for (const [target, d] of await depths()) for (const s of ['waiting', 'active', 'delayed', 'failed'] as const) this.set({ target, state: s }, d[s]);
    },
  });
  new Gauge({
    name: 'hub_sync_lag_seconds',
    help: 'Age of the oldest delivery not yet done, per target',
    labelNames: ['target'],
    registers: [registry],
    async collect() {
      for (const [target, d] of await depths()) this.set({ target }, (d.oldestMs ?? 0) / 1000);
    },
  });
  new Gauge({
    name: 'hub_sync_breaker_open',
    help: 'Circuit breaker per target: 0 closed, 1 open, 0.5 half open',
    labelNames: ['target'],
    registers: [registry],
    async collect() {
      for (const t of deps.targets.values()) {
        const s = await t.breaker.status().catch(() => undefined);
        if (s) this.set({ target: t.name }, s.state === 'open' ? 1 : s.state === 'half_open' ? 0.5 : 0);
      }
    },
  });
  new Gauge({
    name: 'hub_store_up',
    help: 'The hub store answers (1) or not (0), asked at each scrape',
    registers: [registry],
    async collect() {
      const answered = await Promise.race([deps.store.ping().then(() => 1), new Promise<number>((r) => setTimeout(() => r(0), 2000).unref())]).catch(() => 0);
      this.set(answered);
    },
  });
  new Gauge({
    name: 'hub_sync_deferred_records',
    help: 'Records put back on their queue because the hub store (or, inbound, the source) was unavailable, since the counts began; all processes (kept in Redis)',
    labelNames: ['system', 'entity', 'direction'],
    registers: [registry],
    async collect() {
      const flows = [
        ...[...deps.targets.values()].flatMap((t) => Object.keys(t.target.routes).map((entity) => [t.name, entity, 'out'] as const)),
        ...[...deps.sources.values()].flatMap((s) => s.settings.entities.map((entity) => [s.name, entity, 'in'] as const)),
      ];
      for (const [system, entity, direction] of flows) {
        const f = await deps.stats.get(system, entity, direction).catch(() => undefined);
        if (f) this.set({ system, entity, direction }, f.counts.deferred ?? 0);
      }
    },
  });
  new Gauge({
    name: 'hub_sync_dead_letters_open',
    help: 'Open dead letters',
    registers: [registry],
    async collect() {
      this.set(await deps.store.deadLetters.count({ state: 'open' }).catch(() => 0));
    },
  });
}
