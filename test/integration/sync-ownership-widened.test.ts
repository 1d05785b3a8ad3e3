import { createPool, type Pool } from 'mysql2/promise';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigFileInput } from '../../hub/config/schema.js';
import { createHub, type Hub } from '../../hub/create-hub.js';
import { ENTITIES } from '../../core/model/entities.js';
import { ADMIN_PASSWORD, REDIS_URL, createTestDatabase, deleteRedisPrefix, freshStoreUrl } from '../helpers.js';
import { mappingDir } from './mappings/fixtures.js';
import { customerSourceFiles, until } from './sync-fixtures.js';

/**
 * A source's fields that its ownership kept out are not forgotten: once the configuration lets the
 * source set them, the next backfill applies them, although the source rows did not change (the
 * hub does not remember the hash of a row it took only in part).
 */

describe.sequential('ownership widened after a first ingest', () => {
  let db: { url: string; drop: () => Promise<void> };
  let erp: Pool;
  let place: Awaited<ReturnType<typeof freshStoreUrl>>;
  const prefix = `test-${Math.random().toString(36).slice(2)}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    erp = createPool({ uri: db.url, connectionLimit: 2, timezone: 'Z' });
    await erp.query(`CREATE TABLE erp_customers (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_no VARCHAR(32) NOT NULL UNIQUE, name VARCHAR(100) NOT NULL,
      currency CHAR(3), modified_at DATETIME(3) NOT NULL, INDEX (modified_at, id))`);
    for (let i = 0; i < 5; i++) await erp.query('INSERT INTO erp_customers (customer_no, name, currency, modified_at) VALUES (?, ?, ?, ?)', [`W-${i}`, `Widened ${i}`, 'USD', new Date(Date.UTC(2026, 0, 1, 0, 0, i))]);
    place = await freshStoreUrl('sqlite');
  });

  afterAll(async () => {
    await erp?.end();
    await db?.drop();
    await deleteRedisPrefix(prefix);
    await place?.cleanup();
  });

  const start = async (ownership: ConfigFileInput['ownership']): Promise<Hub> => {
    const hub = createHub({
      env: { HUB_DB: place.url, HUB_DATA_DIR: place.dataDir, REDIS_URL, HUB_ADMIN_PASSWORD: ADMIN_PASSWORD, ERP_URL: db.url },
      logger: pino({ level: 'silent' }),
      redisPrefix: prefix,
      runWorkers: true,
      config: {
        ownership,
        mappings: { dirs: [mappingDir(customerSourceFiles('erp'))] },
        connectors: { erp: { type: 'mysql', urlEnv: 'ERP_URL', tables: { customers: { table: 'erp_customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'currency'] } } } },
        sync: { sources: { erp: { entities: ['customer'], pollIntervalSeconds: 0 } } },
      },
    });
    await hub.start();
    return hub;
  };
  const backfill = async (hub: Hub) => {
    const run = await hub.sync.runs.backfill('erp', 'customer', { by: 'test' });
    return until('the backfill', async () => {
      const r = await hub.sync.runs.get(run.id);
      return r?.state === 'done' ? r : undefined;
    });
  };
  const currencies = async (hub: Hub) => (await hub.store.records.list(ENTITIES.customer, { limit: 50 })).items.map((r) => r['currency']);

  it('applies on the next backfill the fields a narrower ownership had kept out', async () => {
    const first = await start({ fields: { customer: { currency: ['hub'] } } });
    try {
      await backfill(first);
      expect(await currencies(first)).toHaveLength(5);
      expect((await currencies(first)).every((c) => c !== 'USD')).toBe(true);
    } finally {
      await first.stop();
    }
    const second = await start({ fields: {} });
    try {
      const run = await backfill(second);
      expect(run.done).toBe(5);
      expect(await currencies(second)).toEqual(Array(5).fill('USD'));
      // Taken whole now: a further backfill finds nothing to apply.
      await backfill(second);
      const stats = await second.sync.stats.get('erp', 'customer', 'in');
      expect(stats.counts.unchanged).toBeGreaterThanOrEqual(5);
    } finally {
      await second.stop();
    }
  });
});
