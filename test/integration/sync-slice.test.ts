import { Redis } from 'ioredis';
import { createPool, type Pool } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, createTestDatabase, startTestHub, type TestHub } from '../helpers.js';
import { mappingDir } from './mappings/fixtures.js';
import { until } from './sync-fixtures.js';

const SCHEMA = `
connector: erp_sql
links: [customer]
entities:
  customers:
    fields:
      customer_no: { type: string, required: true }
      name: { type: string, required: true }
      currency: { type: string }
`;
const MAPPING = `
name: erp_sql.customer.out
connector: erp_sql
entity: customer
direction: out
externalEntity: customers
fields:
  customer_no: { from: code }
  name: { from: name, transforms: [trim] }
  currency: { from: currency }
`;


describe('thin slice: an API write reaches a MySQL target configured in hub.config (outbox → relay → BullMQ → connector)', () => {
  let t: TestHub;
  let db: { url: string; drop: () => Promise<void> };
  let admin: Pool;
  let redis: Redis;
  const auth = () => ({ Authorization: `Bearer ${t.adminToken}` });
  const rows = async () => (await admin.query('SELECT customer_no, name, currency FROM crm_customers ORDER BY customer_no'))[0] as { customer_no: string; name: string; currency: string }[];

  beforeAll(async () => {
    db = await createTestDatabase();
    admin = createPool({ uri: db.url, connectionLimit: 1 });
    await admin.query(`CREATE TABLE crm_customers (
      id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_no VARCHAR(64) NOT NULL UNIQUE, name VARCHAR(40) NOT NULL,
      currency CHAR(3), modified_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), INDEX (modified_at, id))`);
    t = await startTestHub({
      workers: true,
      env: { ERP_SQL_URL: db.url },
      config: {
        mappings: { dirs: [mappingDir({ 'erp_sql/schema.yaml': SCHEMA, 'erp_sql/customer.out.yaml': MAPPING })] },
        connectors: {
          erp_sql: { type: 'mysql', urlEnv: 'ERP_SQL_URL', tables: { customers: { table: 'crm_customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'currency'] } } },
        },
        sync: { relayIntervalMs: 100, targets: { erp_sql: { entities: ['customer'], receiver: 'finance', attempts: 3, backoffMs: 50 } } },
      },
    });
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  });

  afterAll(async () => {
    redis?.disconnect();
    await admin?.end();
    await t?.close();
    await db?.drop();
  });

  it('delivers creates and later changes, projected and mapped, without duplicates, and links the ids', async () => {
    const phoneCanary = '+49 30 CANARY 0001';
    const created = [];
    for (const [code, name] of [['C-1', 'Alpha GmbH '], ['C-2', 'Beta AG'], ['C-3', 'Gamma KG']]) {
      const res = await t.api.post('/api/v1/customers').set(auth()).send({ code, name, currency: 'EUR', phone: phoneCanary });
      expect(res.status).toBe(201);
      created.push(res.body as { id: string });
    }
    await until('three rows', async () => ((await rows()).length === 3 ? true : undefined));
    expect(await rows()).toEqual([
      { customer_no: 'C-1', name: 'Alpha GmbH', currency: 'EUR' },
      { customer_no: 'C-2', name: 'Beta AG', currency: 'EUR' },
      { customer_no: 'C-3', name: 'Gamma KG', currency: 'EUR' },
    ]);
    const links = await t.hub.store.links.externalIds('erp_sql', 'customer', created.map((c) => c.id));
    expect([...links.values()].sort()).toEqual(['C-1', 'C-2', 'C-3']);

    const patched = await t.api.patch(`/api/v1/customers/${created[1]?.id}`).set(auth()).send({ name: 'Beta AG & Co' });
    expect(patched.status).toBe(200);
    await until('the change', async () => ((await rows()).find((r) => r.customer_no === 'C-2')?.name === 'Beta AG & Co' ? true : undefined));
    // Deliveries are idempotent: relaying everything again adds no row.
    const before = t.hub.sync.relayed;
    await redis.del(`${t.prefix}:relay:cursor`);
    await until('the outbox relayed again', async () => (t.hub.sync.relayed >= before + 4 ? true : undefined));
    await until('the queue drained', async () => ((await t.hub.sync.targets.get('erp_sql')!.depth()).oldestMs === null ? true : undefined));
    expect(await rows()).toHaveLength(3);
    const [all] = await admin.query('SELECT * FROM crm_customers');
    expect(JSON.stringify(all)).not.toContain('CANARY');
  });

  it('sends a record the target refuses to the dead letters with its projected payload; the others land', async () => {
    const long = 'A name much longer than the forty characters the ERP allows';
    const bad = await t.api.post('/api/v1/customers').set(auth()).send({ code: 'C-BAD', name: long, currency: 'EUR', phone: '+49 30 CANARY 0002' });
    const good = await t.api.post('/api/v1/customers').set(auth()).send({ code: 'C-4', name: 'Delta SE', currency: 'EUR' });
    expect(bad.status).toBe(201);
    expect(good.status).toBe(201);
    await until('the good row', async () => ((await rows()).some((r) => r.customer_no === 'C-4') ? true : undefined));
    const letters = await until('a dead letter', async () => {
      const open = await t.hub.store.deadLetters.open(10);
      return open.length > 0 ? open : undefined;
    });
    expect(letters[0]).toMatchObject({ target: 'erp_sql', entity: 'customer', recordId: bad.body.id, payload: { customer_no: 'C-BAD', name: long, currency: 'EUR' }, attempts: 1 });
    expect(letters[0]?.errorMessage).not.toContain(long);
    expect(JSON.stringify(letters)).not.toContain('CANARY');
    expect((await rows()).some((r) => r.customer_no === 'C-BAD')).toBe(false);
  });
});
