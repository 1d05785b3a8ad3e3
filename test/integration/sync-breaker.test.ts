import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../queues/breaker.js';
import { RecordLocks } from '../../queues/locks.js';
import { REDIS_URL, deleteRedisPrefix } from '../helpers.js';

const prefix = `test-${randomUUID()}`;
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });

afterAll(async () => {
  await deleteRedisPrefix(prefix);
  redis.disconnect();
});

describe('circuit breaker (Redis)', () => {
  it('opens after the configured run of failures, waits the cool-down, lets one probe through, and closes or reopens', async () => {
    let now = 1_000_000;
    const b = new CircuitBreaker(redis, `${prefix}:breaker:x`, { failures: 3, cooldownMs: 10_000 }, () => now);
    const other = new CircuitBreaker(redis, `${prefix}:breaker:x`, { failures: 3, cooldownMs: 10_000 }, () => now);
    expect(await b.admit()).toEqual({ ok: true, probe: false });
    expect(await b.failure()).toBe('closed');
    await b.success();
    expect(await b.failure()).toBe('closed');
    expect(await b.failure()).toBe('closed');
    expect(await b.failure()).toBe('open');
    // Another process sees the same state.
    expect(await other.admit()).toEqual({ ok: false, waitMs: 10_000 });
    expect(await b.status()).toMatchObject({ state: 'open', failures: 3, retryAt: new Date(now + 10_000).toISOString() });
    now += 10_000;
    expect(await b.admit()).toEqual({ ok: true, probe: true });
    // While the probe runs, nobody else goes through.
    expect((await other.admit()).ok).toBe(false);
    expect(await b.failure()).toBe('open');
    now += 10_000;
    expect(await other.admit()).toEqual({ ok: true, probe: true });
    await other.success();
    expect(await b.status()).toEqual({ state: 'closed', failures: 0, openedAt: null, retryAt: null });
    expect(await b.admit()).toEqual({ ok: true, probe: false });
  });
});

describe('record locks (Redis)', () => {
  it('gives each record to one owner at a time, back to the same owner, and releases only its own', async () => {
    const locks = new RecordLocks(redis, prefix);
    expect(await locks.acquire('t', 'customer', ['a', 'b'], 'job-1', 60_000)).toEqual({ acquired: ['a', 'b'], busy: [] });
    expect(await locks.acquire('t', 'customer', ['b', 'c'], 'job-2', 60_000)).toEqual({ acquired: ['c'], busy: ['b'] });
    // A job taken up again after its worker died gets its own locks back.
    expect(await locks.acquire('t', 'customer', ['a', 'b'], 'job-1', 60_000)).toEqual({ acquired: ['a', 'b'], busy: [] });
    // job-1 releases b (its own) but not c (job-2's).
    await locks.release('t', 'customer', ['b', 'c'], 'job-1');
    expect(await locks.acquire('t', 'customer', ['b', 'c'], 'job-3', 60_000)).toEqual({ acquired: ['b'], busy: ['c'] });
    await locks.release('t', 'customer', ['c'], 'job-2');
    expect(await locks.acquire('t', 'customer', ['a', 'c'], 'job-3', 60_000)).toEqual({ acquired: ['c'], busy: ['a'] });
    expect(await locks.acquire('t', 'customer', ['x'], 'job-3', 50)).toEqual({ acquired: ['x'], busy: [] });
    await new Promise((r) => setTimeout(r, 80));
    expect(await locks.acquire('t', 'customer', ['x'], 'job-4', 60_000)).toEqual({ acquired: ['x'], busy: [] });
  });
});
