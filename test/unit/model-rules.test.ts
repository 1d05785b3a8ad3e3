import { describe, expect, it } from 'vitest';
import { UnprocessableError } from '../../core/errors.js';
import { currencyScale, isCountry, isCurrency } from '../../core/model/codes.js';
import type { JsonObject } from '../../core/model/entities.js';
import { checkRecord, type ReferenceChecker } from '../../core/model/validate.js';

const refs = (missing: string[] = []): ReferenceChecker => ({
  missing: async (_kind, ids) => new Set(ids.filter((id) => missing.includes(id))),
  productSku: async (id) => (id === 'p1' ? 'SKU-1' : undefined),
});
const rules = { quotaOrderTypes: ['standard', 'repeat'] };

async function problems(entity: Parameters<typeof checkRecord>[0], record: JsonObject, missing: string[] = []) {
  try {
    await checkRecord(entity, record, refs(missing), rules);
    return [];
  } catch (e) {
    if (e instanceof UnprocessableError) return e.errors.map((p) => `${p.pointer}: ${p.detail}`);
    throw e;
  }
}

describe('ISO codes', () => {
  it('knows currencies and their ISO 4217 minor units', () => {
    expect(isCurrency('EUR')).toBe(true);
    expect(isCurrency('XYZ')).toBe(false);
    expect(isCurrency('eur')).toBe(false);
    expect([currencyScale('EUR'), currencyScale('JPY'), currencyScale('KWD'), currencyScale('HUF'), currencyScale('CLF')]).toEqual([2, 0, 3, 2, 4]);
  });
  it('knows countries and refuses groupings and unknown codes', () => {
    expect(['DE', 'CH', 'US', 'AT'].every(isCountry)).toBe(true);
    expect(['XX', 'EU', 'ZZ', 'QO', 'de', 'DEU'].some(isCountry)).toBe(false);
  });
});

describe('order totals', () => {
  const order = (lines: JsonObject[], extra: JsonObject = {}): JsonObject => ({ number: 'SO-1', customerId: 'c1', orderDate: '2026-01-01', currency: 'EUR', type: 'standard', lines, ...extra });

  it('computes line totals, tax and totals half-up in decimal', async () => {
    const o = order([
      { productId: 'p1', quantity: '3', unitPrice: '0.10', taxRate: '19' },
      { productId: 'p1', quantity: '0.333', unitPrice: '0.15', discount: '0', taxRate: '0' },
    ]);
    expect(await problems('order', o)).toEqual([]);
    // 0.333 × 0.15 = 0.04995 → 0.05 (half-up)
    expect((o['lines'] as JsonObject[]).map((l) => l['lineTotal'])).toEqual(['0.30', '0.05']);
    expect([o['subtotal'], o['taxTotal'], o['total'], o['countsTowardQuota']]).toEqual(['0.35', '0.06', '0.41', true]);
  });

  it('handles the largest amounts without losing a cent', async () => {
    const o = order([{ productId: 'p1', quantity: '1000000', unitPrice: '9999999999.99', taxRate: '19' }]);
    expect(await problems('order', o)).toEqual([]);
    expect(o['subtotal']).toBe('9999999999990000.00');
    expect(o['taxTotal']).toBe('1899999999998100.00');
    expect(o['total']).toBe('11899999999988100.00');
  });

  it('refuses totals that do not add up, naming each field and the expected value', async () => {
    const o = order([{ productId: 'p1', quantity: '2', unitPrice: '10.00', lineTotal: '21.00' }]);
    expect(await problems('order', o)).toEqual(['/lines/0/lineTotal: does not add up: expected 20.00']);
    expect(await problems('order', order([{ productId: 'p1', quantity: '2', unitPrice: '10.00' }], { total: '19.99' }))).toEqual(['/total: does not add up: expected 20.00']);
  });

  it('refuses scale beyond the currency, percentages over 100, zero quantities, and missing references', async () => {
    const o = order([{ productId: 'p404', quantity: '0', unitPrice: '1.001', discount: '101' }], { currency: 'EUR', customerId: 'c404', ownerId: 'u404' });
    expect((await problems('order', o, ['p404', 'c404', 'u404'])).sort()).toEqual([
      '/customerId: refers to a customer that does not exist',
      '/lines/0/discount: must be between 0 and 100',
      '/lines/0/productId: refers to a product that does not exist',
      '/lines/0/quantity: must be greater than 0',
      '/lines/0/unitPrice: has more decimals than the currency allows (2)',
      '/ownerId: refers to a user that does not exist',
    ]);
  });

  it('fills the sku from the product and refuses a different one', async () => {
    const ok = order([{ productId: 'p1', quantity: '1', unitPrice: '1.00' }]);
    await problems('order', ok);
    expect((ok['lines'] as JsonObject[])[0]?.['sku']).toBe('SKU-1');
    expect(await problems('order', order([{ productId: 'p1', sku: 'OTHER', quantity: '1', unitPrice: '1.00' }]))).toEqual(['/lines/0/sku: does not match the product\'s sku']);
  });

  it('refuses a delivery date before the order date', async () => {
    expect(await problems('order', order([{ productId: 'p1', quantity: '1', unitPrice: '1.00' }], { deliveryDate: '2025-12-31' }))).toEqual(['/deliveryDate: must not be before orderDate']);
  });
});

describe('receivables and inventory', () => {
  it('computes balance = amount - paidAmount and refuses inconsistent states', async () => {
    const r: JsonObject = { customerId: 'c1', issueDate: '2026-01-01', dueDate: '2026-02-01', currency: 'JPY', amount: '1000', paidAmount: '250', status: 'partially_paid' };
    expect(await problems('receivable', r)).toEqual([]);
    expect(r['balance']).toBe('750');
    expect(await problems('receivable', { ...r, balance: '700' })).toEqual(['/balance: does not add up: expected 750']);
    expect(await problems('receivable', { ...r, status: 'paid' })).toEqual(['/status: cannot be paid while a balance is open']);
    expect(await problems('receivable', { ...r, dueDate: '2025-12-01' })).toEqual(['/dueDate: must not be before issueDate']);
  });

  it('takes credit notes (negative amounts) and overpayments (negative balances) as the source says they are', async () => {
    const base: JsonObject = { customerId: 'c1', issueDate: '2026-01-01', dueDate: '2026-02-01', currency: 'EUR' };
    const credit: JsonObject = { ...base, amount: '-80.00', paidAmount: '0', status: 'open' };
    expect(await problems('receivable', credit)).toEqual([]);
    expect(credit['balance']).toBe('-80.00');
    // A credit note used up (refunded, or applied to the invoice it corrects) is paid.
    expect(await problems('receivable', { ...base, amount: '-80.00', paidAmount: '-80.00', status: 'paid' })).toEqual([]);
    expect(await problems('receivable', { ...credit, status: 'paid' })).toEqual(['/status: cannot be paid while a balance is open']);
    const overpaid: JsonObject = { ...base, amount: '100.00', paidAmount: '120.00', status: 'paid' };
    expect(await problems('receivable', overpaid)).toEqual([]);
    expect(overpaid['balance']).toBe('-20.00');
    expect(await problems('receivable', { ...base, amount: '-80.00', paidAmount: '0', balance: '-70.00' })).toEqual(['/balance: does not add up: expected -80.00']);
  });

  it('refuses negative stock and a warehouse that is not a code', async () => {
    expect(await problems('inventory', { productId: 'p1', warehouse: 'MAIN', onHand: '-2', reserved: '-1' })).toEqual(['/onHand: must not be negative', '/reserved: must not be negative']);
    expect(await problems('inventory', { productId: 'p1', warehouse: 'Stores - WP', onHand: '2' })).toEqual(['/warehouse: must be 1 to 32 letters, digits, or _ . -']);
  });

  it('stores the payment state as status, whatever the writer said; only a write-off is kept as written', async () => {
    const base: JsonObject = { customerId: 'c1', issueDate: '2026-01-01', dueDate: '2026-02-01', currency: 'EUR', amount: '100.00' };
    const cases: [JsonObject, string][] = [
      [{ paidAmount: '0' }, 'open'],
      [{ paidAmount: '0', status: 'overdue' }, 'open'],
      [{ paidAmount: '40.00', status: 'open' }, 'partially_paid'],
      [{ paidAmount: '100.00', status: 'partially_paid' }, 'paid'],
      [{ paidAmount: '100.00', status: 'overdue' }, 'paid'],
      [{ paidAmount: '40.00', status: 'written_off' }, 'written_off'],
      [{}, 'open'],
    ];
    for (const [extra, status] of cases) {
      const r: JsonObject = { ...base, ...extra };
      expect(await problems('receivable', r), JSON.stringify(extra)).toEqual([]);
      expect(r['status'], JSON.stringify(extra)).toBe(status);
    }
    // Overdue is a view as of a date, never stored: a receivable months past due is stored open.
    const late: JsonObject = { ...base, dueDate: '2020-02-01', issueDate: '2020-01-01', paidAmount: '0', status: 'overdue' };
    await problems('receivable', late);
    expect(late['status']).toBe('open');
  });

  it('computes available = onHand - reserved', async () => {
    const i: JsonObject = { productId: 'p1', warehouse: 'MAIN', onHand: '10.5', reserved: '12' };
    expect(await problems('inventory', i)).toEqual([]);
    expect(i['available']).toBe('-1.5');
    expect(await problems('inventory', { ...i, available: '1' })).toEqual(['/available: does not add up: expected onHand - reserved = -1.5']);
  });
});
