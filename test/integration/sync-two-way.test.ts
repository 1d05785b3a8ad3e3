import { createPool, type Pool } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestHub, type TestHub } from '../helpers.js';
import { mappingDir } from './mappings/fixtures.js';
import { until } from './sync-fixtures.js';

/**
 * Two-way sync between the built-in CRM and a MySQL "ERP" table: both sides change different
 * fields; no ping-pong (deliveries and versions stop growing once the sides agree), field ownership
 * is respected (a field the ERP does not own keeps the hub's value and is sent back), natural-key
 * matching links an existing ERP row instead of duplicating it, and a same-field change on both
 * sides within the window lands in the conflict inbox.
 */

const SCHEMA = `
connector: erp
links: [customer]
entities:
  customers:
    fields:
      customer_no: { type: string, required: true }
      name: { type: string, required: true }
      phone: { type: string }
      credit_limit: { type: decimal }
      currency: { type: string }
`;
const OUT = `
name: erp.customer.out
connector: erp
entity: customer
direction: out
externalEntity: customers
fields:
  customer_no: { from: code }
  name: { from: name }
  phone: { from: phone }
  credit_limit: { from: creditLimit }
  currency: { from: currency }
`;
const IN = `
name: erp.customer.in
connector: erp
entity: customer
direction: in
externalEntity: customers
fields:
  code: { from: customer_no }
  name: { from: name }
  phone: { from: phone }
  creditLimit: { from: credit_limit }
  currency: { from: currency }
`;


interface Row {
  customer_no: string;
  name: string;
  phone: string | null;
  credit_limit: string | null;
}

describe.sequential('two-way sync: CRM ⇄ MySQL ERP', () => {
  let t: TestHub;
  let db: { url: string; drop: () => Promise<void> };
  let erp: Pool;
  const auth = () => ({ Authorization: `Bearer ${t.adminToken}` });
  const rows = async () => (await erp.query('SELECT customer_no, name, phone, credit_limit FROM erp_customers ORDER BY customer_no'))[0] as Row[];
  const row = async (code: string) => (await rows()).find((r) => r.customer_no === code);
  const hubCustomer = async (code: string) => {
    const res = await t.api.get('/api/v1/customers').query({ q: code }).set(auth());
    return (res.body.items as { id: string; code: string; name: string; phone?: string; creditLimit?: string; version?: number }[]).find((c) => c.code === code);
  };
  const poll = async () => {
    const source = t.hub.sync.sources.get('erp')!;
    await source.pollNow('customer');
    await until('the poll to finish', async () => {
      const c = await source.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return (c['waiting'] ?? 0) + (c['active'] ?? 0) + (c['prioritized'] ?? 0) === 0 ? true : undefined;
    });
  };
  const quiet = async () => {
    const target = t.hub.sync.targets.get('erp')!;
    await until('deliveries to finish', async () => ((await target.depth()).oldestMs === null ? true : undefined));
  };
  const delivered = async () => (await t.hub.sync.stats.get('erp', 'customer', 'out')).counts.delivered ?? 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    erp = createPool({ uri: db.url, connectionLimit: 2, decimalNumbers: false });
    await erp.query(`CREATE TABLE erp_customers (
      id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_no VARCHAR(64) NOT NULL UNIQUE, name VARCHAR(100) NOT NULL, phone VARCHAR(40),
      credit_limit DECIMAL(14,2), currency CHAR(3),
      modified_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), INDEX (modified_at, id))`);
    // A row the ERP had before the hub: matched on first contact by its natural key, not duplicated.
    await erp.query(`INSERT INTO erp_customers (customer_no, name, phone, credit_limit, currency) VALUES ('K-9', 'Kilo Existing', NULL, 9000.00, 'EUR')`);
    t = await startTestHub({
      workers: true,
      env: { ERP_URL: db.url },
      config: {
        mappings: { dirs: [mappingDir({ 'erp/schema.yaml': SCHEMA, 'erp/customer.out.yaml': OUT, 'erp/customer.in.yaml': IN })] },
        connectors: { erp: { type: 'mysql', urlEnv: 'ERP_URL', tables: { customers: { table: 'erp_customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'phone', 'credit_limit', 'currency'] } } } },
        ownership: { conflictWindowSeconds: 300, fields: { customer: { creditLimit: ['erp'], phone: ['hub'] } } },
        sync: { relayIntervalMs: 100, targets: { erp: { entities: ['customer'], receiver: 'erpnext', backoffMs: 50 } }, sources: { erp: { entities: ['customer'], pollIntervalSeconds: 0 } } },
      },
    });
  });

  afterAll(async () => {
    await erp?.end();
    await t?.close();
    await db?.drop();
  });

  it('matches an existing ERP row on its natural key and links it instead of creating a duplicate', async () => {
    const res = await t.api.post('/api/v1/customers').set(auth()).send({ code: 'K-9', name: 'Kilo Existing', currency: 'EUR', creditLimit: '9000.00' });
    expect(res.status).toBe(201);
    await poll();
    await quiet();
    expect((await rows()).filter((r) => r.customer_no === 'K-9')).toHaveLength(1);
    const links = await t.hub.store.links.externalIds('erp', 'customer', [res.body.id as string]);
    expect(links.get(res.body.id as string)).toBe('K-9');
    const list = await t.api.get('/api/v1/customers').query({ q: 'K-9' }).set(auth());
    expect(list.body.items).toHaveLength(1);
  });

  it('carries changes both ways, respects ownership and does not ping-pong', async () => {
    for (const [code, name] of [['C-1', 'Alpha'], ['C-2', 'Beta'], ['C-3', 'Gamma']]) {
      expect((await t.api.post('/api/v1/customers').set(auth()).send({ code, name, currency: 'EUR', phone: '+49 30 1000', creditLimit: '1000.00' })).status).toBe(201);
    }
    await until('three rows in the ERP', async () => ((await rows()).length === 4 ? true : undefined));
    await quiet();
    // The hub reads its own writes back: they are echoes, not changes.
    await poll();
    await quiet();
    const versions = async () => Promise.all(['C-1', 'C-2', 'C-3'].map(async (c) => (await t.hub.store.records.findByNaturalKey((await import('../../core/model/entities.js')).ENTITIES.customer, c))?.version));
    expect(await versions()).toEqual([1, 1, 1]);
    const echoes = (await t.hub.sync.stats.get('erp', 'customer', 'in')).counts.echo ?? 0;
    expect(echoes).toBeGreaterThanOrEqual(3);

    // The ERP changes the credit limit it owns and a shared field; it also tries to change the hub-owned phone.
    await erp.query(`UPDATE erp_customers SET credit_limit = 2500.00 WHERE customer_no = 'C-1'`);
    await erp.query(`UPDATE erp_customers SET name = 'Beta (ERP)' WHERE customer_no = 'C-2'`);
    await erp.query(`UPDATE erp_customers SET phone = '+49 30 9999' WHERE customer_no = 'C-3'`);
    // The hub changes the phone it owns on C-1 at the same time.
    const c1 = (await hubCustomer('C-1'))!;
    expect((await t.api.patch(`/api/v1/customers/${c1.id}`).set(auth()).send({ phone: '+49 30 1111' })).status).toBe(200);
    await poll();
    await quiet();

    expect(await hubCustomer('C-1')).toMatchObject({ creditLimit: '2500.00', phone: '+49 30 1111' });
    expect(await hubCustomer('C-2')).toMatchObject({ name: 'Beta (ERP)' });
    // Not the ERP's field: the hub keeps its phone and sends it back.
    expect(await hubCustomer('C-3')).toMatchObject({ phone: '+49 30 1000' });
    await until('the hub phone restored in the ERP', async () => ((await row('C-3'))?.phone === '+49 30 1000' ? true : undefined));
    expect(await row('C-1')).toMatchObject({ phone: '+49 30 1111', credit_limit: '2500.00' });

    // Quiescence: more polling rounds change nothing and deliver nothing.
    await poll();
    await quiet();
    const settled = { delivered: await delivered(), versions: await versions() };
    for (let i = 0; i < 3; i++) {
      await poll();
      await quiet();
    }
    expect(await delivered()).toBe(settled.delivered);
    expect(await versions()).toEqual(settled.versions);
    expect((await rows()).length).toBe(4);
  });

  it('takes a change back to a value the hub wrote or read before (no stale echo or re-read hash drops it)', async () => {
    const c3 = (await hubCustomer('C-3'))!;
    // The ERP changes a name and then puts the one the hub last wrote back: both are real changes.
    await erp.query(`UPDATE erp_customers SET name = 'Gamma X' WHERE customer_no = 'C-3'`);
    await poll();
    await quiet();
    expect(await hubCustomer('C-3')).toMatchObject({ name: 'Gamma X' });
    await erp.query(`UPDATE erp_customers SET name = 'Gamma' WHERE customer_no = 'C-3'`);
    await poll();
    await quiet();
    expect(await hubCustomer('C-3')).toMatchObject({ name: 'Gamma' });
    // A value the hub read before, after the hub wrote another one in between.
    await erp.query(`UPDATE erp_customers SET name = 'Gamma Y' WHERE customer_no = 'C-3'`);
    await poll();
    await quiet();
    expect((await t.api.patch(`/api/v1/customers/${c3.id}`).set(auth()).send({ name: 'Gamma Z' })).status).toBe(200);
    await until('the hub name in the ERP', async () => ((await row('C-3'))?.name === 'Gamma Z' ? true : undefined));
    await quiet();
    await erp.query(`UPDATE erp_customers SET name = 'Gamma Y' WHERE customer_no = 'C-3'`);
    await poll();
    await quiet();
    expect(await hubCustomer('C-3')).toMatchObject({ name: 'Gamma Y' });
    expect(await t.hub.sync.conflicts.list({ state: 'open', limit: 10 })).toEqual([]);
  });

  it('puts a same-field change on both sides within the window in the conflict inbox; resolving applies the pick', async () => {
    const c2 = (await hubCustomer('C-2'))!;
    // Both rename C-2 before either has seen the other's change (the delivery to the ERP is held back).
    const target = t.hub.sync.targets.get('erp')!;
    await target.queue.pause();
    expect((await t.api.patch(`/api/v1/customers/${c2.id}`).set(auth()).send({ name: 'Beta (Hub)' })).status).toBe(200);
    await erp.query(`UPDATE erp_customers SET name = 'Beta (ERP again)' WHERE customer_no = 'C-2'`);
    await poll();
    await target.queue.resume();
    await quiet();
    expect(await hubCustomer('C-2')).toMatchObject({ name: 'Beta (Hub)' });
    const [conflict] = await t.hub.sync.conflicts.list({ state: 'open', limit: 10 });
    expect(conflict).toMatchObject({ entity: 'customer', recordId: c2.id, field: 'name', system: 'erp', theirValue: 'Beta (ERP again)', hubValue: 'Beta (Hub)', hubSystem: 'hub' });
    // Held back, the hub's value went back to the ERP.
    await until('the hub value restored in the ERP', async () => ((await row('C-2'))?.name === 'Beta (Hub)' ? true : undefined));

    const resolved = await t.hub.sync.conflicts.resolve(conflict!.id, { pick: 'system' }, 'admin');
    expect(resolved).toMatchObject({ state: 'resolved', resolution: 'system', resolvedBy: 'admin' });
    await until('the picked value everywhere', async () => ((await row('C-2'))?.name === 'Beta (ERP again)' && (await hubCustomer('C-2'))?.name === 'Beta (ERP again)' ? true : undefined));
    const lineage = await t.hub.store.lineage.forRecord('customer', c2.id);
    expect(lineage.find((l) => l.field === 'name')).toMatchObject({ system: 'erp', job: expect.stringContaining(`conflict:${conflict!.id}`) });
    await expect(t.hub.sync.conflicts.resolve(conflict!.id, { pick: 'hub' }, 'admin')).rejects.toThrow(/already resolved/);
  });

  it('reconciles: reports drift between the hub and the ERP and re-syncs just the differing records', async () => {
    await quiet();
    const clean = await t.hub.sync.reconciliation.reconcile('erp', 'customer', { repair: false, by: 'admin' });
    expect(clean).toMatchObject({ kind: 'reconcile', state: 'done', report: { hubCount: 4, targetCount: 4, missingInTarget: 0, extraInTarget: 0, differing: 0 } });
    // Someone edits the ERP behind the hub's back and deletes a row (no poll runs here).
    await erp.query(`UPDATE erp_customers SET name = 'Tampered' WHERE customer_no = 'C-1'`);
    await erp.query(`DELETE FROM erp_customers WHERE customer_no = 'C-3'`);
    await erp.query(`INSERT INTO erp_customers (customer_no, name, currency) VALUES ('X-1', 'Only in the ERP', 'EUR')`);
    const drift = await t.hub.sync.reconciliation.reconcile('erp', 'customer', { repair: true, by: 'admin' });
    expect(drift.report).toMatchObject({ hubCount: 4, targetCount: 4, missingInTarget: 1, extraInTarget: 1, differing: 1, repaired: 2 });
    await until('the repair', async () => ((await row('C-1'))?.name === 'Alpha' && (await row('C-3')) !== undefined ? true : undefined));
    await quiet();
    const after = await t.hub.sync.reconciliation.reconcile('erp', 'customer', { repair: false, by: 'admin' });
    // Never deletes in the target: the ERP-only row stays and is reported.
    expect(after.report).toMatchObject({ missingInTarget: 0, differing: 0, extraInTarget: 1 });
  });
});
