import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgingAccumulator, daysPastDue, receivableStatus } from '../../core/finance/aging.js';
import { currencyScale } from '../../core/model/codes.js';
import { dec, fmt, zero, type Dec } from '../../core/model/decimal.js';
import { statusAsOf } from '../../queues/feeds/produce.js';

/**
 * The feed's speed-ups agree with the plain definitions: the accumulator's integer sums with decimal
 * arithmetic (rounded half-up at the currency's scale), and the feed's status shortcut with
 * `receivableStatus`.
 */

const decimal = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 999_999 }))
  .map(([negative, whole, digits, fraction]) => {
    const f = digits === 0 ? '' : `.${String(fraction).padStart(6, '0').slice(0, digits)}`;
    const text = `${whole}${f}`;
    return negative && !/^0(\.0*)?$/.test(text) ? `-${text}` : text;
  });
const currency = fc.constantFrom('EUR', 'JPY', 'KWD', 'CLF', 'USD');
const dueDate = fc.integer({ min: -400, max: 400 }).map((d) => new Date(Date.UTC(2026, 11, 3) + d * 86_400_000).toISOString().slice(0, 10));

describe('aging sums', () => {
  it('equal decimal sums rounded half-up at each currency\'s scale, per group and in all', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ currency, balance: decimal, dueDate, group: fc.constantFrom('a', 'b', null) }), { maxLength: 40 }), (items) => {
        const acc = new AgingAccumulator<(typeof items)[number]>('2026-12-03', (r) => r.group);
        const ref = new Map<string, Dec>();
        for (const r of items) {
          if (acc.add(r) === undefined) continue;
          ref.set(r.currency, (ref.get(r.currency) ?? zero()).plus(dec(r.balance)));
        }
        const totals = Object.fromEntries(acc.total().map((t) => [t.currency, t.total]));
        const expected = Object.fromEntries([...ref].map(([c, sum]) => [c, fmt(sum, currencyScale(c))]));
        expect(totals).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('rounds the way decimal.js does, negative amounts away from zero, and never writes -0', () => {
    const total = (balances: string[], cur = 'EUR') => {
      const acc = new AgingAccumulator('2026-12-03');
      for (const balance of balances) acc.add({ currency: cur, balance, dueDate: '2026-12-01' });
      return acc.total()[0]?.total;
    };
    expect(total(['0.005'])).toBe('0.01');
    expect(total(['-0.005'])).toBe('-0.01');
    expect(total(['-0.004'])).toBe('0.00');
    expect(total(['1.5'], 'JPY')).toBe('2');
    expect(total(['0.0005'], 'KWD')).toBe('0.001');
    expect(total(['12.345678', '-2.345678'], 'CLF')).toBe('10.0000');
    expect(() => total(['1e3'])).toThrow(TypeError);
    // Past 2^53 millionths the sum carries into a bigint, exactly.
    expect(total(Array.from({ length: 20 }, () => '999999999.999999'), 'CLF')).toBe('20000000000.0000');
    expect(total([...Array.from({ length: 20 }, () => '999999999.999999'), '9999999999999999.999999', '-9999999999999999.999999', '0.000001'], 'KWD')).toBe('20000000000.000');
  });
});

describe('the feed\'s status as of a date', () => {
  it('agrees with receivableStatus for every amount, payment and due date', () => {
    fc.assert(
      fc.property(decimal, decimal, dueDate, (amount, paid, due) => {
        const balance = fmt(dec(amount).minus(dec(paid)), 6);
        const expected = receivableStatus({ amount, paidAmount: paid, dueDate: due }, '2026-12-03');
        expect(statusAsOf(amount, paid, balance, daysPastDue(due, '2026-12-03'))).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    expect(statusAsOf('10.00', null, '10.00', 0)).toBe('open');
    expect(statusAsOf('10.00', '0.00', '10.00', 3)).toBe('overdue');
    expect(statusAsOf('10.00', '4.00', '6.00', 0)).toBe('partially_paid');
  });
});
