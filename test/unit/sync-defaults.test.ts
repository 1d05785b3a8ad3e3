import type { Redis } from 'ioredis';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FieldProblem } from '../../core/errors.js';
import type { Store } from '../../core/store/store.js';
import { resolveSyncConfig, syncSectionSchema } from '../../queues/config.js';
import type { TargetDelivery } from '../../queues/delivery.js';
import { OutboxRelay } from '../../queues/relay.js';

/** The sync section as a configuration without one resolves it: every value is the schema's default. */
function defaults() {
  const problems: FieldProblem[] = [];
  const config = resolveSyncConfig(syncSectionSchema.parse(undefined), {}, problems);
  expect(problems).toEqual([]);
  return config;
}

describe('sync defaults come from the configuration schema', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('the outbox relay polls at the schema\'s relayIntervalMs (1000 ms), not a default of its own', async () => {
    vi.useFakeTimers();
    const config = defaults();
    expect(config.relayIntervalMs).toBe(1000);
    // A relay pass begins by taking the lease (one EVAL); refused, the pass ends there.
    const evals = vi.fn(async () => 0);
    const redis = { eval: evals } as unknown as Redis;
    const relay = new OutboxRelay({ store: {} as Store, redis, prefix: 'unit', targets: [{} as TargetDelivery], log: pino({ level: 'silent' }), config });
    expect(relay.intervalMs).toBe(1000);
    relay.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(evals).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(evals).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(evals).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(3000);
    expect(evals).toHaveBeenCalledTimes(5);
    await relay.stop();
  });

  it('a target and a source resolve to complete settings, each value the schema\'s default', () => {
    const problems: FieldProblem[] = [];
    const section = syncSectionSchema.parse({ targets: { sink: { entities: ['customer'] } }, sources: { erp: { entities: ['customer'] } } });
    const config = resolveSyncConfig(section, {}, problems);
    expect(problems).toEqual([]);
    expect(config.targets['sink']).toEqual({
      entities: ['customer'],
      batchSize: 200,
      concurrency: 2,
      attempts: 8,
      backoffMs: 500,
      maxBackoffMs: 300_000,
      rateLimit: undefined,
      breaker: { failures: 5, cooldownMs: 30_000 },
      deletes: false,
      jobLockMs: 30_000,
      lockMs: 60_000,
      reconcileEveryMs: undefined,
    });
    expect(config.sources['erp']).toEqual({ entities: ['customer'], pollIntervalMs: 60_000, pageSize: 500, jobLockMs: 30_000, deletes: false, webhookSecret: undefined });
  });
});
