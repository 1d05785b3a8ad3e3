import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES } from '../../core/model/entities.js';
import { startTestHub, type TestHub } from '../helpers.js';
import { mappingDir } from './mappings/fixtures.js';

const FILES = {
  'ledger/schema.yaml': `
connector: ledger
links: [customer, receivable]
entities:
  customers:
    fields:
      customer_no: { type: string, required: true }
      name: { type: string, required: true }
      currency: { type: string }
  invoices:
    fields:
      invoice_no: { type: string, required: true }
      customer_no: { type: string }
      issued: { type: date }
      due: { type: date }
      currency: { type: string }
      amount: { type: decimal }
      state: { type: string }
`,
  'ledger/customer.in.yaml': `
name: ledger.customer.in
connector: ledger
entity: customer
direction: in
externalEntity: customers
fields:
  code: { from: customer_no }
  name: { from: name }
  currency: { from: currency }
`,
  'ledger/receivable.in.yaml': `
name: ledger.receivable.in
connector: ledger
entity: receivable
direction: in
externalEntity: invoices
fields:
  number: { from: invoice_no }
  customerId: { lookup: { entity: customer, from: customer_no } }
  issueDate: { from: issued }
  dueDate: { from: due }
  currency: { from: currency }
  amount: { from: amount }
  status: { from: state }
`,
};

/**
 * A source that reports a receivable's status as it sees it ("overdue" once the due date passed)
 * tells the hub nothing it does not derive: no rewrite, no field conflict with the hub's own
 * payment state, while the hub keeps the payment state it computes.
 */
describe('ingest of a receivable status the hub derives', () => {
  let t: TestHub;

  beforeAll(async () => {
    t = await startTestHub({
      env: { LEDGER_URL: 'mysql://root@127.0.0.1:9/none' },
      config: {
        mappings: { dirs: [mappingDir(FILES)] },
        // This test hands rows to the ingestor and never reads the source.
        connectors: {
          ledger: {
            type: 'mysql',
            urlEnv: 'LEDGER_URL',
            tables: {
              customers: { table: 'customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'currency'] },
              invoices: { table: 'invoices', key: ['invoice_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['customer_no', 'issued', 'due', 'currency', 'amount', 'state'] },
            },
          },
        },
        sync: { sources: { ledger: { entities: ['customer', 'receivable'], pollIntervalSeconds: 0 } } },
      },
    });
  });
  afterAll(async () => t?.close());

  it('stores the payment state of what the source sends, and a later "overdue" from it changes nothing and conflicts with nothing', async () => {
    const source = t.hub.sync.sources.get('ledger')!.source;
    await t.hub.sync.ingestor.ingest(source, 'customer', [{ customer_no: 'L-1', name: 'Ledger AG', currency: 'EUR' }], 'test');
    const row = { invoice_no: 'LINV-1', customer_no: 'L-1', issued: '2026-01-01', due: '2026-02-01', currency: 'EUR', amount: '100.00', state: 'overdue' };
    const first = await t.hub.sync.ingestor.ingest(source, 'receivable', [row], 'test');
    expect(first.counts.created).toBe(1);
    const [created] = await t.hub.store.records.findByColumn(ENTITIES.receivable, 'number', ['LINV-1']);
    expect(created?.['status']).toBe('open');

    // The hub records a part payment: its status becomes partially paid, a change of the hub's.
    const paid = await t.api.patch(`/api/v1/receivables/${created!.id}`).set({ Authorization: `Bearer ${t.adminToken}` }).send({ paidAmount: '40.00' });
    expect(paid.body.status).toBe('overdue'); // as shown today: due 2026-02-01
    const before = await t.hub.store.records.get(ENTITIES.receivable, created!.id);
    expect(before?.['status']).toBe('partially_paid');

    // The source reports its own view of the status (and, on another day, "open" again).
    for (const state of ['open', 'overdue']) {
      const again = await t.hub.sync.ingestor.ingest(source, 'receivable', [{ ...row, state }], 'test');
      expect(again.counts.conflicts ?? 0, state).toBe(0);
      expect(again.counts.ingested ?? 0, state).toBe(0);
    }
    expect(await t.hub.store.records.get(ENTITIES.receivable, created!.id)).toEqual(before);
    expect((await t.api.get('/api/v1/sync/conflicts').set({ Authorization: `Bearer ${t.adminToken}` })).body.items).toEqual([]);
  });
});
