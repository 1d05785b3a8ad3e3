import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/errors.js';
import { MissingLinkError, type InboundMapping, type MappingContext } from '../../../mappings/engine/compile.js';
import { load, mappingDir } from './fixtures.js';

/**
 * The `first` rule and `when.equalsField`, checked when they load and run on records; and the shipped
 * ERPNext finance mappings run on documents as ERPNext holds them (which total, which currency, what
 * was paid), without the engine around them.
 */

const SCHEMA = `
connector: ledger
links: [customer, receivable]
entities:
  entries:
    fields:
      id: { type: string }
      party: { type: string }
      day: { type: date }
      paid: { type: number }
      cur: { type: string }
      book_cur: { type: string }
      total: { type: number }
      base_total: { type: number }
      rows:
        type: array
        fields:
          kind: { type: string }
          doc: { type: string }
          note: { type: string }
`;
const head = `name: ledger.payment.in
connector: ledger
entity: payment
direction: in
externalEntity: entries
fields:
  customerId: { lookup: { entity: customer, from: party } }
  date: { from: day }
  amount: { from: paid, transforms: [toDecimal] }
  currency: { from: cur }
`;

function inbound(extra: string): InboundMapping {
  const m = load([mappingDir({ 'ledger/schema.yaml': SCHEMA, 'ledger/payment.in.yaml': head + extra })]).get('ledger.payment.in');
  if (m?.direction !== 'in') throw new Error('no inbound mapping');
  return m;
}

function problems(extra: string): string[] {
  try {
    inbound(extra);
  } catch (e) {
    if (e instanceof ConfigError) return e.errors.map((p) => `${p.pointer.replace(/^.*\/hub-mappings-[^/]+\//, '')}: ${p.detail}`);
    throw e;
  }
  return [];
}

const links = (known: Record<string, string>): MappingContext => ({ link: (entity, id) => known[`${entity}:${id}`] });
const entry = { id: 'E-1', party: 'P-1', day: '2026-11-10', paid: 10, cur: 'EUR' };

describe('first: one element of a list', () => {
  const m = () =>
    inbound(`  receivableId:
    first: rows
    where: { field: kind, equals: Invoice }
    then: { lookup: { entity: receivable, from: doc } }
  reference: { first: rows, then: { from: note, transforms: [upper] } }
`);

  it('gives what its rule gives for the first element that meets where, null when none does, nothing when the list is absent', () => {
    const ctx = links({ 'customer:P-1': 'c1', 'receivable:INV-2': 'r2', 'receivable:INV-3': 'r3' });
    const rows = [{ kind: 'Order', doc: 'SO-1', note: 'advance' }, { kind: 'Invoice', doc: 'INV-2' }, { kind: 'Invoice', doc: 'INV-3' }];
    expect(m().map({ ...entry, rows }, ctx)).toMatchObject({ receivableId: 'r2', reference: 'ADVANCE' });
    expect(m().map({ ...entry, rows: [{ kind: 'Order', doc: 'SO-1' }] }, ctx)).toMatchObject({ receivableId: null });
    expect(m().map({ ...entry, rows: [] }, ctx)).toMatchObject({ receivableId: null, reference: null });
    const absent = m().map(entry, ctx);
    expect('receivableId' in absent).toBe(false);
  });

  it('waits (MissingLinkError) when the element it picked refers to a record without a link, and names what it refers to', () => {
    expect(() => m().map({ ...entry, rows: [{ kind: 'Invoice', doc: 'INV-9' }] }, links({ 'customer:P-1': 'c1' }))).toThrow(MissingLinkError);
    expect(m().refers).toEqual(['customer', 'receivable']);
  });

  it('is checked when it loads: a list to read, element fields that exist', () => {
    expect(problems('  receivableId: { first: party, then: { lookup: { entity: receivable, from: doc } } }\n')).toEqual(['ledger/payment.in.yaml#/fields/receivableId: first reads party, which is not a list']);
    expect(problems('  receivableId: { first: rows, where: { field: knd, equals: x }, then: { lookup: { entity: receivable, from: dok } } }\n')).toEqual([
      'ledger/payment.in.yaml#/fields/receivableId/where: ledger entries has no field rows.knd',
      'ledger/payment.in.yaml#/fields/receivableId/then: ledger entries has no field rows.dok',
    ]);
  });
});

describe('when.equalsField', () => {
  const m = () =>
    inbound(`  reference:
    when: { field: book_cur, equalsField: cur }
    then: { const: same }
    else: { const: different }
`);

  it('holds when both fields have the same value, never when either is missing', () => {
    const ctx = links({ 'customer:P-1': 'c1' });
    expect(m().map({ ...entry, book_cur: 'EUR' }, ctx)['reference']).toBe('same');
    expect(m().map({ ...entry, book_cur: 'USD' }, ctx)['reference']).toBe('different');
    expect(m().map({ ...entry, cur: undefined }, ctx)['reference']).toBe('different');
    expect(m().map({ ...entry, book_cur: null, cur: null }, ctx)['reference']).toBe('different');
  });

  it('is checked when it loads, as are the fields a transform reads', () => {
    expect(problems('  reference: { when: { field: cur, equalsField: curr }, then: { const: x } }\n')).toEqual(['ledger/payment.in.yaml#/fields/reference/when: ledger entries has no field curr']);
    expect(problems('  reference: { from: total, transforms: [{ subtract: { field: totl } }, toString] }\n')).toEqual(['ledger/payment.in.yaml#/fields/reference/transforms/0: ledger entries has no field totl']);
  });
});

describe('the ERPNext finance mappings on ERPNext documents', () => {
  const registry = load([]);
  const get = (name: string): InboundMapping => {
    const m = registry.get(name);
    if (m?.direction !== 'in') throw new Error(`no ${name}`);
    return m;
  };
  const ctx = links({ 'customer:CUST-1': 'c1', 'receivable:ACC-SINV-1': 'r1', 'product:BOLT-M8': 'p1' });
  const invoice = { name: 'ACC-SINV-1', docstatus: 1, customer: 'CUST-1', posting_date: '2026-11-02', due_date: '2026-12-02', currency: 'EUR', party_account_currency: 'EUR' };

  it('owes rounded_total, or grand_total where rounding is off, in the party account currency', () => {
    const receivable = get('erpnext.receivable.in');
    expect(receivable.map({ ...invoice, grand_total: 1190.45, rounded_total: 1190, outstanding_amount: 400, status: 'Partly Paid' }, ctx)).toEqual({
      number: 'ACC-SINV-1', customerId: 'c1', issueDate: '2026-11-02', dueDate: '2026-12-02', currency: 'EUR', amount: '1190', paidAmount: '790', balance: '400',
    });
    expect(receivable.map({ ...invoice, grand_total: 1190.45, rounded_total: 0, disable_rounded_total: 1, outstanding_amount: 1190.45, status: 'Unpaid' }, ctx)).toMatchObject({ amount: '1190.45', paidAmount: '0', balance: '1190.45' });
    // A USD invoice on a EUR Debit To account: ERPNext's outstanding is in EUR, from the base totals.
    expect(receivable.map({ ...invoice, currency: 'USD', grand_total: 100, rounded_total: 100, base_grand_total: 92.35, base_rounded_total: 0, outstanding_amount: 42.35, status: 'Partly Paid' }, ctx)).toMatchObject({ currency: 'EUR', amount: '92.35', paidAmount: '50', balance: '42.35' });
  });

  it('takes a credit note and an overpaid invoice as ERPNext has them', () => {
    const receivable = get('erpnext.receivable.in');
    expect(receivable.map({ ...invoice, is_return: 1, grand_total: -80, rounded_total: -80, outstanding_amount: 0, status: 'Return' }, ctx)).toMatchObject({ amount: '-80', paidAmount: '-80', balance: '0' });
    expect(receivable.map({ ...invoice, grand_total: 100, rounded_total: 100, outstanding_amount: -20, status: 'Paid' }, ctx)).toMatchObject({ amount: '100', paidAmount: '120', balance: '-20' });
  });

  it('maps a payment entry and a bin', () => {
    const payment = get('erpnext.payment.in');
    expect(payment.refers).toEqual(['customer', 'receivable']);
    expect(
      payment.map({ name: 'ACC-PAY-1', party: 'CUST-1', posting_date: '2026-11-10', paid_amount: 300.1, paid_from_account_currency: 'EUR', mode_of_payment: 'Cheque', reference_no: ' CHQ 4711 ', references: [{ reference_doctype: 'Sales Invoice', reference_name: 'ACC-SINV-1', allocated_amount: 300.1 }] }, ctx),
    ).toEqual({ customerId: 'c1', receivableId: 'r1', date: '2026-11-10', amount: '300.1', currency: 'EUR', method: 'check', reference: 'CHQ 4711' });
    expect(payment.map({ name: 'ACC-PAY-2', party: 'CUST-1', posting_date: '2026-11-10', paid_amount: 5, paid_from_account_currency: 'EUR', mode_of_payment: 'PayPal', references: [] }, ctx)).toMatchObject({ receivableId: null, method: 'other' });
    expect(get('erpnext.inventory.in').map({ item_code: 'BOLT-M8', warehouse: ' Work In Progress - WP', actual_qty: 12.5, reserved_qty: 0, projected_qty: 40 }, ctx)).toEqual({ productId: 'p1', warehouse: 'Work_In_Progress-WP', onHand: '12.5', reserved: '0' });
  });
});
