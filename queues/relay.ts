import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { EntityName } from '../core/model/entities.js';
import type { OutboxEvent } from '../core/store/outbox-repository.js';
import type { Store } from '../core/store/store.js';
import type { SyncConfig } from './config.js';
import type { TargetDelivery } from './delivery.js';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;

/** How long an outbox id not yet visible is waited for (longer than the longest write transaction; ms). */
const GAP_MS = 120_000;

export interface RelayDeps {
  readonly store: Store;
  readonly redis: Redis;
  readonly prefix: string;
  readonly targets: readonly TargetDelivery[];
  readonly log: Logger;
  /** The resolved sync section (its `relayIntervalMs`). */
  readonly config: Pick<SyncConfig, 'relayIntervalMs'>;
  /** Overrides how long a gap is waited for (tests). */
  readonly gapMs?: number;
}

/**
 * Hands committed changes from the transactional outbox to the delivery queues, at least once: the
 * cursor (the last outbox id handed over) is saved in Redis only after the jobs were added, so a
 * crash re-sends rather than skips (deliveries are idempotent and skip unchanged content). It runs
 * when poked (a commit in this process, or a message from another process) and every `intervalMs`
 * as a safety net. One relay at a time holds a lease in Redis; the others stand by.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly owner = randomUUID();
  /** Outbox events handed over by this process (tests and metrics). */
  relayed = 0;

  private readonly store: Store;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly targets: readonly TargetDelivery[];
  private readonly log: Logger;
  /** The safety-net poll (ms): the sync section's `relayIntervalMs`, whose default is the schema's. */
  readonly intervalMs: number;
  private readonly gapMs: number;

  constructor(deps: RelayDeps) {
    this.store = deps.store;
    this.redis = deps.redis;
    this.prefix = deps.prefix;
    this.targets = deps.targets;
    this.log = deps.log;
    this.intervalMs = deps.config.relayIntervalMs;
    this.gapMs = deps.gapMs ?? GAP_MS;
  }

  private get key(): string {
    return `${this.prefix}:relay:cursor`;
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.poke();
      this.timer = setTimeout(tick, this.intervalMs);
    };
    tick();
  }

  /** Relays now (or right after the pass in progress). */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((error: unknown) => this.log.warn({ err: { message: (error as Error).message } }, 'outbox relay pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.poke();
        }
      });
  }

  private async lease(): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, `${this.prefix}:relay:lease`, this.owner, String(Math.max(5000, this.intervalMs * 20)))) === 1;
  }

  private async handOver(events: readonly OutboxEvent[]): Promise<void> {
    // Within a pass a record is named once per target: a burst of changes is one delivery of the latest state.
    for (const t of this.targets) {
      const byEntity = new Map<EntityName, Set<string>>();
      for (const e of events) {
        if (!t.wants(e.entity)) continue;
        let ids = byEntity.get(e.entity);
        if (!ids) byEntity.set(e.entity, (ids = new Set()));
        ids.add(e.recordId);
      }
      for (const [entity, ids] of byEntity) await t.enqueue(entity, [...ids]);
    }
    this.relayed += events.length;
  }

  /**
   * Outbox ids are taken when a transaction inserts its row but become visible when it commits, so
   * on MySQL a higher id can be visible before a lower one. The ids skipped over are kept as gaps
   * (in Redis, with the time they were first seen) and looked for again on every pass until they
   * appear or are older than `gapMs` (a rolled-back transaction leaves a gap forever).
   */
  private async pass(): Promise<void> {
    if (this.targets.length === 0 || !(await this.lease())) return;
    const gapsKey = `${this.prefix}:relay:gaps`;
    const now = Date.now();
    const open = (await this.redis.zrange(gapsKey, '0', '-1')).map((id) => Number(id));
    if (open.length > 0) {
      const late = await this.store.outbox.byIds(open);
      if (late.length > 0) {
        await this.handOver(late);
        await this.redis.zrem(gapsKey, ...late.map((e) => String(e.id)));
      }
      const expired = await this.redis.zrangebyscore(gapsKey, 0, now - this.gapMs);
      if (expired.length > 0) {
        await this.redis.zrem(gapsKey, ...expired);
        this.log.debug({ ids: expired.length }, 'outbox relay: gaps given up (rolled-back transactions)');
      }
    }
    let cursor = Number((await this.redis.get(this.key)) ?? 0);
    for (;;) {
      const events = await this.store.outbox.after(cursor, 1000);
      if (events.length === 0) return;
      const gaps: string[] = [];
      let expected = cursor + 1;
      for (const e of events) {
        for (let id = expected; id < e.id && gaps.length < 20_000; id++) gaps.push(String(now), String(id));
        expected = e.id + 1;
      }
      // Gaps are recorded before the cursor moves past them: a crash re-reads rather than skips.
      if (gaps.length > 0) await this.redis.zadd(gapsKey, 'NX', ...gaps);
      await this.handOver(events);
      cursor = events[events.length - 1]?.id ?? cursor;
      await this.redis.set(this.key, String(cursor));
      if (events.length < 1000) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.redis.eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, 1, `${this.prefix}:relay:lease`, this.owner).catch(() => undefined);
  }
}
