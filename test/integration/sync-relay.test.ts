import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../core/store/store.js';
import type { TargetDelivery } from '../../queues/delivery.js';
import { OutboxRelay } from '../../queues/relay.js';
import { REDIS_URL, deleteRedisPrefix, freshStoreUrl } from '../helpers.js';

/**
 * On MySQL an outbox id is taken at insert and becomes visible at commit, so a higher id can be seen
 * before a lower one. The relay must not jump over the lower one for good.
 */
describe('outbox relay: ids that become visible out of order', () => {
  const prefix = `test-${randomUUID()}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  let store: Store;
  let cleanup: () => Promise<void>;
  const handed: string[] = [];
  const target = {
    name: 'fake',
    wants: (entity: string) => entity === 'customer',
    enqueue: async (_entity: string, ids: readonly string[]) => {
      handed.push(...ids);
    },
  } as unknown as TargetDelivery;

  beforeAll(async () => {
    const place = await freshStoreUrl('sqlite');
    cleanup = place.cleanup;
    store = await Store.open(place.url, place.dataDir);
  });

  afterAll(async () => {
    await store?.close();
    await cleanup?.();
    await deleteRedisPrefix(prefix);
    redis.disconnect();
  });

  const commit = async (id: number) => {
    const db = (store as unknown as { db: { insertInto: (t: string) => { values: (v: object) => { execute: () => Promise<unknown> } } } }).db;
    await db.insertInto('hub_outbox').values({ id, entity: 'customer', record_id: `r${id}`, op: 'upsert', version: 1, created_at: new Date().toISOString(), origin: 'hub' }).execute();
  };
  const settle = async (relay: OutboxRelay) => {
    relay.poke();
    await new Promise((r) => setTimeout(r, 150));
  };

  it('hands over a late-committed lower id on a later pass, and gives up on a gap after the wait', async () => {
    const relay = new OutboxRelay({ store, redis, prefix, targets: [target], log: pino({ level: 'silent' }), config: { relayIntervalMs: 60_000 }, gapMs: 1000 });
    await commit(1);
    await commit(2);
    await commit(4); // 3 is still in flight
    await settle(relay);
    expect(handed).toEqual(['r1', 'r2', 'r4']);
    expect(await redis.zrange(`${prefix}:relay:gaps`, '0', '-1')).toEqual(['3']);
    await commit(3);
    await commit(5);
    await settle(relay);
    expect(handed).toEqual(['r1', 'r2', 'r4', 'r3', 'r5']);
    expect(await redis.zcard(`${prefix}:relay:gaps`)).toBe(0);
    // A gap that never fills (a rolled-back transaction) is dropped after gapMs.
    await commit(7);
    await settle(relay);
    expect(await redis.zrange(`${prefix}:relay:gaps`, '0', '-1')).toEqual(['6']);
    await new Promise((r) => setTimeout(r, 1100));
    await settle(relay);
    expect(await redis.zcard(`${prefix}:relay:gaps`)).toBe(0);
    expect(handed).toEqual(['r1', 'r2', 'r4', 'r3', 'r5', 'r7']);
    await relay.stop();
  });
});
