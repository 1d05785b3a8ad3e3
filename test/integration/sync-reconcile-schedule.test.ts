import { createPool, type Pool } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestHub, type TestHub } from '../helpers.js';
import { mappingDir } from './mappings/fixtures.js';
import { until } from './sync-fixtures.js';

/** Scheduled reconciliation (`reconcileEveryMinutes`) repairs drift in a target without anyone asking. */

const FILES = {
  'erp/schema.yaml': `
connector: erp
links: [customer]
entities:
  customers:
    fields:
      customer_no: { type: string, required: true }
      name: { type: string, required: true }
`,
  'erp/customer.out.yaml': `
name: erp.customer.out
connector: erp
entity: customer
direction: out
externalEntity: customers
fields:
  customer_no: { from: code }
  name: { from: name }
`,
  'erp/customer.in.yaml': `
name: erp.customer.in
connector: erp
entity: customer
direction: in
externalEntity: customers
fields:
  code: { from: customer_no }
  name: { from: name }
  currency: { const: EUR }
`,
};

describe('scheduled reconciliation', () => {
  let t: TestHub;
  let db: { url: string; drop: () => Promise<void> };
  let erp: Pool;
  const name = async (code: string) => ((await erp.query('SELECT name FROM erp_customers WHERE customer_no = ?', [code]))[0] as { name: string }[])[0]?.name;

  beforeAll(async () => {
    db = await createTestDatabase();
    erp = createPool({ uri: db.url, connectionLimit: 2 });
    await erp.query(`CREATE TABLE erp_customers (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_no VARCHAR(32) NOT NULL UNIQUE, name VARCHAR(100) NOT NULL,
      modified_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), INDEX (modified_at, id))`);
    t = await startTestHub({
      workers: true,
      env: { ERP_URL: db.url },
      config: {
        mappings: { dirs: [mappingDir(FILES)] },
        connectors: { erp: { type: 'mysql', urlEnv: 'ERP_URL', tables: { customers: { table: 'erp_customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name'] } } } },
        sync: { relayIntervalMs: 100, targets: { erp: { entities: ['customer'], receiver: 'finance', reconcileEveryMinutes: 0.05 } } },
      },
    });
  });

  afterAll(async () => {
    await t?.close();
    await erp?.end();
    await db?.drop();
  });

  it('finds a row changed behind the hub\'s back and puts the hub\'s state back, on its own', async () => {
    await t.hub.records.create('customer', { code: 'SR-1', name: 'Scheduled One', currency: 'EUR' });
    await until('the delivery', async () => ((await name('SR-1')) === 'Scheduled One' ? true : undefined));
    await erp.query(`UPDATE erp_customers SET name = 'Tampered' WHERE customer_no = 'SR-1'`);
    await until('the scheduled repair', async () => ((await name('SR-1')) === 'Scheduled One' ? true : undefined), 20_000);
    const runs = await t.hub.sync.runs.list({ connector: 'erp', limit: 20 });
    const repaired = runs.find((r) => r.kind === 'reconcile' && (r.report as { repaired?: number } | null)?.repaired === 1);
    expect(repaired).toMatchObject({ state: 'done', createdBy: 'scheduler', report: { differing: 1 } });
  }, 30_000);
});
