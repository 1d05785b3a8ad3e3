import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Store } from '../core/store/store.js';
import type { TargetDelivery } from './delivery.js';

/**
 * Hands committed changes from the transactional outbox to the delivery queues, at least once: the
 * cursor (the last outbox id handed over) is saved in Redis only after the jobs were added, so a
 * crash re-sends rather than skips (deliveries are idempotent). Polls every `intervalMs` and runs
 * at once when poked.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly targets: readonly TargetDelivery[],
    private readonly log: Logger,
    private readonly intervalMs = 100,
  ) {}

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

  private async pass(): Promise<void> {
    let cursor = Number((await this.redis.get(this.key)) ?? 0);
    for (;;) {
      const events = await this.store.outbox.after(cursor, 500);
      if (events.length === 0) return;
      for (const e of events) {
        for (const t of this.targets) if (t.wants(e.entity)) await t.enqueue(e.entity, e.recordId);
      }
      cursor = events[events.length - 1]?.id ?? cursor;
      await this.redis.set(this.key, String(cursor));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
