import { describe, expect, it } from 'vitest';
import { UnprocessableError } from '../../core/errors.js';
import { AgingAccumulator, asOfDate, bucketOf, businessDate, daysPastDue, isCalendarDate, paymentState, receivableStatus, statusOn, statusSelection, type AgingInput } from '../../core/finance/aging.js';

describe('days past due and buckets', () => {
  it('counts calendar days between the due date and the as-of date, across months, leap days and years', () => {
    expect(daysPastDue('2026-12-03', '2026-12-03')).toBe(0);
    expect(daysPastDue('2026-12-04', '2026-12-03')).toBe(0);
    expect(daysPastDue('2026-12-02', '2026-12-03')).toBe(1);
    expect(daysPastDue('2024-02-28', '2024-03-01')).toBe(2);
    expect(daysPastDue('2025-02-28', '2025-03-01')).toBe(1);
    expect(daysPastDue('2025-12-31', '2026-01-01')).toBe(1);
  });

  it('puts the boundaries where finance expects them: due today is current, day 30 is 1–30, day 31 is 31–60, day 91 is over 90', () => {
    expect([0, 1, 30, 31, 60, 61, 90, 91, 400].map(bucketOf)).toEqual(['current', 'd1_30', 'd1_30', 'd31_60', 'd31_60', 'd61_90', 'd61_90', 'over_90', 'over_90']);
  });
});

describe('the as-of date', () => {
  it('is today in the business time zone, not in UTC', () => {
    // 23:30 UTC on 1 December is already 2 December in Berlin and still 1 December in New York.
    const at = new Date('2026-12-01T23:30:00Z');
    expect(businessDate(at, 'Europe/Berlin')).toBe('2026-12-02');
    expect(businessDate(at, 'America/New_York')).toBe('2026-12-01');
    expect(asOfDate(undefined, 'Europe/Berlin', '/query/asOf', at)).toBe('2026-12-02');
    expect(asOfDate('2026-06-30', 'Europe/Berlin', '/query/asOf', at)).toBe('2026-06-30');
  });

  it('refuses a date that is not a calendar date, naming the field', () => {
    for (const bad of ['2026-02-30', '2026-13-01', '30.06.2026', '2026-6-3', 'today']) {
      let error: unknown;
      try {
        asOfDate(bad, 'UTC', '/query/asOf');
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(UnprocessableError);
      expect((error as UnprocessableError).errors).toEqual([{ pointer: '/query/asOf', detail: 'must be a calendar date YYYY-MM-DD' }]);
    }
  });
});

describe('receivable status follows its due date and payments', () => {
  const asOf = '2026-12-03';
  it.each([
    [{ amount: '100.00', paidAmount: '0', dueDate: '2026-12-31' }, 'open'],
    [{ amount: '100.00', paidAmount: '40.00', dueDate: '2026-12-31' }, 'partially_paid'],
    [{ amount: '100.00', paidAmount: '40.00', dueDate: '2026-09-30' }, 'overdue'],
    [{ amount: '100.00', paidAmount: null, dueDate: '2026-12-02' }, 'overdue'],
    [{ amount: '100.00', paidAmount: '100', dueDate: '2026-09-30' }, 'paid'],
    [{ amount: '100.00', paidAmount: '120.00', dueDate: '2026-09-30' }, 'paid'],
    [{ amount: '-50.00', paidAmount: '0', dueDate: '2026-09-30' }, 'open'],
    [{ amount: '100.00', paidAmount: '0', dueDate: '2026-09-30', status: 'written_off' }, 'written_off'],
  ])('%o is %s', (r, status) => {
    expect(receivableStatus(r, asOf)).toBe(status);
  });
});

describe('AgingAccumulator', () => {
  const r = (customer: string, currency: string, balance: string, dueDate: string, status?: string): AgingInput & { customer: string } => ({ customer, currency, balance, dueDate, ...(status ? { status } : {}) });

  it('sums per customer and in total, per currency, never adding currencies, exactly in decimals', () => {
    const aging = new AgingAccumulator<AgingInput & { customer: string }>('2026-12-03', (x) => x.customer);
    aging.add(r('C1', 'EUR', '0.10', '2026-12-10'));
    aging.add(r('C1', 'EUR', '0.20', '2026-12-10'));
    aging.add(r('C1', 'EUR', '1000.005', '2026-11-20'));
    aging.add(r('C2', 'JPY', '15000', '2026-08-01'));
    aging.add(r('C2', 'EUR', '-25.00', '2026-11-01'));
    aging.add(r('C2', 'KWD', '1.234', '2026-10-01'));
    expect(aging.total()).toEqual([
      { currency: 'EUR', count: 4, buckets: { current: '0.30', d1_30: '1000.01', d31_60: '-25.00', d61_90: '0.00', over_90: '0.00' }, total: '975.31' },
      { currency: 'JPY', count: 1, buckets: { current: '0', d1_30: '0', d31_60: '0', d61_90: '0', over_90: '15000' }, total: '15000' },
      { currency: 'KWD', count: 1, buckets: { current: '0.000', d1_30: '0.000', d31_60: '0.000', d61_90: '1.234', over_90: '0.000' }, total: '1.234' },
    ]);
    expect(aging.byGroup().map((g) => [g.key, g.currencies.map((c) => `${c.currency} ${c.total}`)])).toEqual([
      ['C1', ['EUR 1000.31']],
      ['C2', ['EUR -25.00', 'JPY 15000', 'KWD 1.234']],
    ]);
  });

  it('answers each receivable\'s days past due and bucket, and skips what is paid, written off or settled', () => {
    const aging = new AgingAccumulator('2026-12-03');
    expect(aging.add({ currency: 'EUR', balance: '10.00', dueDate: '2026-11-02' })).toEqual({ daysPastDue: 31, bucket: 'd31_60' });
    expect(aging.add({ currency: 'EUR', balance: '0.00', dueDate: '2026-11-02' })).toBeUndefined();
    expect(aging.add({ currency: 'EUR', balance: '10.00', dueDate: '2026-11-02', status: 'paid' })).toBeUndefined();
    expect(aging.add({ currency: 'EUR', balance: '10.00', dueDate: '2026-11-02', status: 'written_off' })).toBeUndefined();
    expect(aging.total()).toEqual([{ currency: 'EUR', count: 1, buckets: { current: '0.00', d1_30: '0.00', d31_60: '10.00', d61_90: '0.00', over_90: '0.00' }, total: '10.00' }]);
    expect(aging.byGroup()).toEqual([{ key: null, currencies: aging.total() }]);
  });
});

describe('the stored payment state and the overdue view', () => {
  it('the payment state never depends on a date; the status as of a date adds overdue only to what is owed', () => {
    const late = { amount: '100.00', paidAmount: '0', dueDate: '2020-01-01' };
    expect(paymentState(late)).toBe('open');
    expect(receivableStatus(late, '2026-12-03')).toBe('overdue');
    expect(receivableStatus(late, '2020-01-01')).toBe('open');
    expect(paymentState({ amount: '100.00', paidAmount: '100.00', status: 'overdue' })).toBe('paid');
    expect(paymentState({ amount: '100.00', paidAmount: '1.00', status: 'open' })).toBe('partially_paid');
    expect(paymentState({ amount: '100.00', status: 'written_off' })).toBe('written_off');
  });

  it('selects, for a list filter, the stored states and due-date bounds that show each status today', () => {
    expect(statusSelection('overdue', '2026-12-03')).toEqual({ states: ['open', 'partially_paid'], dueBefore: '2026-12-03' });
    expect(statusSelection('open', '2026-12-03')).toEqual({ states: ['open'], dueFrom: '2026-12-03' });
    expect(statusSelection('partially_paid', '2026-12-03')).toEqual({ states: ['partially_paid'], dueFrom: '2026-12-03' });
    expect(statusSelection('paid', '2026-12-03')).toEqual({ states: ['paid'] });
    expect(statusSelection('written_off', '2026-12-03')).toEqual({ states: ['written_off'] });
  });

  it('shows a stored record as of a day, and leaves one it cannot tell by as stored', () => {
    expect(statusOn({ amount: '5.00', paidAmount: '1.00', dueDate: '2026-12-02', status: 'partially_paid' }, '2026-12-03')).toBe('overdue');
    expect(statusOn({ amount: '5.00', paidAmount: '1.00', dueDate: '2026-12-03', status: 'partially_paid' }, '2026-12-03')).toBe('partially_paid');
    expect(statusOn({ amount: '5.00', status: 'open' }, '2026-12-03')).toBe('open');
    expect(statusOn({ amount: 'x', dueDate: '2026-01-01', status: 'open' }, '2026-12-03')).toBe('open');
  });

  it('knows calendar dates in every year, the first century too (Date.UTC would read 0050 as 1950)', () => {
    expect(isCalendarDate('0050-02-28')).toBe(true);
    expect(isCalendarDate('2028-02-29')).toBe(true);
    expect(isCalendarDate('2026-02-29')).toBe(false);
    expect(daysPastDue('0050-01-01', '0050-01-31')).toBe(30);
    expect(asOfDate('0050-06-30', 'UTC', '/query/asOf')).toBe('0050-06-30');
  });
});
