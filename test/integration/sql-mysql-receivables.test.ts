import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createPool, type Pool } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { AgingAccumulator } from '../../core/finance/aging.js';
import { ENTITIES, type EntityName } from '../../core/model/entities.js';
import { createTestDatabase, startTestHub, type TestHub } from '../helpers.js';
import { until } from './sync-fixtures.js';

/**
 * A finance package's open items (a MariaDB table with DECIMAL amounts, a debtor number, a due date,
 * a currency) flow in as receivables through the engine, configured exactly as the documented example
 * (docs/examples/finance-sql: its tables, hub.config.yaml and mapping folder, which are this test's
 * fixtures, so the example cannot rot). Amounts stay exact decimal strings past what a double holds;
 * a debtor the CRM already has is matched, not made twice; an item whose debtor has not come waits;
 * a cleared item is paid; a cancelled one is withdrawn.
 */

const EXAMPLE = fileURLToPath(new URL('../../docs/examples/finance-sql/', import.meta.url));

describe.sequential('receivables from a SQL table (the documented finance-package example)', () => {
  let t: TestHub;
  let db: { url: string; drop: () => Promise<void> };
  let finance: Pool;
  const auth = () => ({ Authorization: `Bearer ${t.adminToken}` });
  let tick = 0;
  const stamp = () => new Date(Date.UTC(2026, 10, 1, 8, 0, 0, ++tick * 10));

  beforeAll(async () => {
    db = await createTestDatabase();
    finance = createPool({ uri: db.url, connectionLimit: 1, timezone: 'Z', multipleStatements: true });
    await finance.query(readFileSync(`${EXAMPLE}ar-tables.sql`, 'utf8'));
    const example = parseYaml(readFileSync(`${EXAMPLE}hub.config.yaml`, 'utf8')) as Record<string, Record<string, Record<string, Record<string, unknown>>>>;
    // As documented, but polled by the test and with the example's mapping folder where it lies.
    const source = { ...example['sync']!['sources']!['finance_sql'], pollIntervalSeconds: 0 };
    t = await startTestHub({
      workers: true,
      env: { FINANCE_DB_URL: db.url },
      config: { ...example, mappings: { dirs: [`${EXAMPLE}mappings`] }, sync: { sources: { finance_sql: source } } } as never,
    });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await finance?.end();
    await db?.drop();
  });

  const poll = async (entity: EntityName) => {
    const runner = t.hub.sync.sources.get('finance_sql')!;
    await runner.pollNow(entity);
    await until(`finance_sql ${entity} polled`, async () => {
      const c = await runner.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return (c['waiting'] ?? 0) + (c['active'] ?? 0) + (c['delayed'] ?? 0) + (c['prioritized'] ?? 0) === 0 ? true : undefined;
    });
  };
  const debtor = (code: string, name: string, currency: string) => finance.query('INSERT INTO ar_customers (customer_code, name, currency, updated_at) VALUES (?, ?, ?, ?)', [code, name, currency, stamp()]);
  const item = (no: string, code: string, currency: string, amount: string, open: string, due: string) =>
    finance.query('INSERT INTO ar_open_items (document_no, customer_code, document_date, due_date, currency, amount, open_amount, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [no, code, '2026-09-01', due, currency, amount, open, stamp()]);
  const receivable = async (no: string) => (await t.hub.store.records.findByColumn(ENTITIES.receivable, 'number', [no]))[0];
  const customers = async (code: string) => t.hub.store.records.findByColumn(ENTITIES.customer, 'code', [code]);

  it('matches the debtors to the customers the hub holds, takes the open items exactly, and lets an item whose debtor has not come wait', async () => {
    const crm = await t.api.post('/api/v1/customers').set(auth()).send({ code: 'K-1001', name: 'Kunde Eins GmbH', currency: 'EUR' });
    expect(crm.status).toBe(201);
    await debtor('K-1001', 'Kunde Eins GmbH', 'EUR');
    await debtor('K-1003', 'Kunde Drei AG', 'CHF');
    // 1234567890123.45 − 0.10 is 1234567890123.3499 in binary floats.
    await item('RE-2026-0001', 'K-1001', 'EUR', '1234567890123.45', '0.10', '2026-10-01');
    await item('RE-2026-0002', 'K-1001', 'EUR', '500.00', '500.00', '2026-12-31');
    await item('RE-2026-0003', 'K-1003', 'CHF', '99.95', '0.00', '2026-09-30');
    await item('GS-2026-0001', 'K-1002', 'EUR', '-250.00', '-250.00', '2026-12-15');

    await poll('customer');
    await poll('receivable');
    expect(await customers('K-1001')).toHaveLength(1);
    expect((await customers('K-1001'))[0]!.id).toBe(crm.body.id);
    expect(await t.hub.store.records.count(ENTITIES.customer)).toBe(2);

    const pick = async (no: string) => {
      const r = await receivable(no);
      return r && { customerId: r['customerId'], issueDate: r['issueDate'], dueDate: r['dueDate'], currency: r['currency'], amount: r['amount'], paidAmount: r['paidAmount'], balance: r['balance'], status: r['status'] };
    };
    expect(await pick('RE-2026-0001')).toEqual({ customerId: crm.body.id, issueDate: '2026-09-01', dueDate: '2026-10-01', currency: 'EUR', amount: '1234567890123.45', paidAmount: '1234567890123.35', balance: '0.10', status: 'partially_paid' });
    expect(await pick('RE-2026-0002')).toMatchObject({ amount: '500.00', paidAmount: '0', balance: '500.00', status: 'open' });
    expect(await pick('RE-2026-0003')).toMatchObject({ currency: 'CHF', amount: '99.95', paidAmount: '99.95', balance: '0.00', status: 'paid' });
    expect(await receivable('GS-2026-0001')).toBeUndefined();
    expect(await t.hub.store.deadLetters.count({ target: 'finance_sql', entity: 'receivable', errorCode: 'unresolved_reference', state: 'open' })).toBe(1);
    expect(await customers('K-1002')).toEqual([]);

    await debtor('K-1002', 'Kunde Zwei KG', 'EUR');
    await poll('customer');
    expect(await pick('GS-2026-0001')).toMatchObject({ amount: '-250.00', paidAmount: '0', balance: '-250.00', status: 'open' });
    expect(await t.hub.store.deadLetters.count({ target: 'finance_sql', entity: 'receivable', state: 'open' })).toBe(0);
  });

  it('ages them per currency through the API, and follows a clearing and a cancellation', async () => {
    const aged = async () => {
      const res = await t.api.get('/api/v1/receivables').query({ limit: 500 }).set(auth());
      expect(res.status).toBe(200);
      const aging = new AgingAccumulator<{ currency: string; balance: string; dueDate: string; status: string }>('2026-11-30');
      for (const r of res.body.items) aging.add(r);
      return aging.total();
    };
    // EUR: 500.00 and the credit note −250.00 not yet due; 0.10 due 60 days ago. CHF is cleared.
    expect(await aged()).toEqual([{ currency: 'EUR', count: 3, buckets: { current: '250.00', d1_30: '0.00', d31_60: '0.10', d61_90: '0.00', over_90: '0.00' }, total: '250.10' }]);

    await finance.query('UPDATE ar_open_items SET open_amount = ?, updated_at = ? WHERE document_no = ?', ['0.00', stamp(), 'RE-2026-0002']);
    await finance.query('UPDATE ar_open_items SET is_cancelled = 1, updated_at = ? WHERE document_no = ?', [stamp(), 'RE-2026-0001']);
    await poll('receivable');
    expect(await receivable('RE-2026-0002')).toMatchObject({ paidAmount: '500', balance: '0.00', status: 'paid' });
    expect(await receivable('RE-2026-0001')).toBeUndefined();
    expect(await aged()).toEqual([{ currency: 'EUR', count: 1, buckets: { current: '-250.00', d1_30: '0.00', d31_60: '0.00', d61_90: '0.00', over_90: '0.00' }, total: '-250.00' }]);
  });
});
