import { describe, expect, it } from 'vitest';
import { monthOf, SalesAccumulator, type SalesInput } from '../../core/finance/sales.js';

type Order = SalesInput & { team: string | null; owner: string };
const o = (team: string | null, currency: string, total: string, quota = true, owner = 'u1'): Order => ({ team, owner, currency, total, quota });

/**
 *        sales
 *       /     \
 *    north    south
 *      |
 *    keys
 */
const PARENT: Record<string, string | null> = { sales: null, north: 'sales', south: 'sales', keys: 'north' };
const parentOf = (t: string) => PARENT[t];
const fig = (count: number, total: string) => ({ count, total });

describe('sales performance sums', () => {
  it('counts and sums quota orders beside the others, per group and currency, never adding currencies', () => {
    const acc = new SalesAccumulator<Order>((x) => x.owner);
    acc.add(o('north', 'EUR', '100.10', true, 'anna'));
    acc.add(o('north', 'EUR', '0.20', false, 'anna'));
    acc.add(o('north', 'CHF', '50.00', true, 'anna'));
    acc.add(o('south', 'EUR', '1000.00', true, 'dave'));
    acc.add(o('south', 'JPY', '1500', false, 'dave'));
    expect(acc.byGroup()).toEqual([
      { key: 'anna', currencies: [
        { currency: 'CHF', quota: fig(1, '50.00'), other: fig(0, '0.00') },
        { currency: 'EUR', quota: fig(1, '100.10'), other: fig(1, '0.20') },
      ] },
      { key: 'dave', currencies: [
        { currency: 'EUR', quota: fig(1, '1000.00'), other: fig(0, '0.00') },
        { currency: 'JPY', quota: fig(0, '0'), other: fig(1, '1500') },
      ] },
    ]);
    expect(acc.total()).toEqual([
      { currency: 'CHF', quota: fig(1, '50.00'), other: fig(0, '0.00') },
      { currency: 'EUR', quota: fig(2, '1100.10'), other: fig(1, '0.20') },
      { currency: 'JPY', quota: fig(0, '0'), other: fig(1, '1500') },
    ]);
  });

  it('rolls a team\'s subtree up into its line, in tree order, with the total counting each order once', () => {
    const acc = new SalesAccumulator<Order>((x) => x.team);
    acc.add(o('keys', 'EUR', '10.00'));
    acc.add(o('north', 'EUR', '1.00'));
    acc.add(o('south', 'EUR', '100.00', false));
    acc.add(o(null, 'EUR', '7.00'));
    const lines = acc.byTeamTree(parentOf, () => true);
    expect(lines.map((l) => [l.key, l.parentKey, l.currencies.map((c) => `${c.currency} ${c.quota.count}/${c.quota.total} ${c.other.count}/${c.other.total}`)])).toEqual([
      ['sales', null, ['EUR 2/11.00 1/100.00']],
      ['north', 'sales', ['EUR 2/11.00 0/0.00']],
      ['keys', 'north', ['EUR 1/10.00 0/0.00']],
      ['south', 'sales', ['EUR 0/0.00 1/100.00']],
      [null, null, ['EUR 1/7.00 0/0.00']],
    ]);
    expect(acc.total()).toEqual([{ currency: 'EUR', quota: fig(3, '18.00'), other: fig(1, '100.00') }]);
  });

  it('gives an ancestor without orders of its own a line only when the caller sees all of it', () => {
    const acc = new SalesAccumulator<Order>((x) => x.team);
    acc.add(o('keys', 'EUR', '10.00'));
    acc.add(o('north', 'EUR', '1.00'));
    // A lead of north sees north and keys, not sales: no "sales" line that would show north as all of sales.
    const lead = acc.byTeamTree(parentOf, (t) => t === 'north' || t === 'keys');
    expect(lead.map((l) => [l.key, l.parentKey, l.currencies[0]?.quota.total])).toEqual([
      ['north', null, '11.00'],
      ['keys', 'north', '10.00'],
    ]);
    // A rep (own rows only) whose orders sit in keys: one line, not rolled into teams it cannot see whole.
    const rep = new SalesAccumulator<Order>((x) => x.team);
    rep.add(o('keys', 'EUR', '10.00'));
    expect(rep.byTeamTree(parentOf, () => false).map((l) => [l.key, l.parentKey])).toEqual([['keys', null]]);
  });

  it('ends the walk up at a cycle or an unknown team instead of looping', () => {
    const acc = new SalesAccumulator<Order>((x) => x.team);
    acc.add(o('a', 'EUR', '1.00'));
    const cyclic: Record<string, string> = { a: 'b', b: 'a' };
    expect(acc.byTeamTree((t) => cyclic[t], () => true).map((l) => l.key).sort()).toEqual(['a', 'b']);
    expect(acc.byTeamTree(() => undefined, () => true).map((l) => l.key)).toEqual(['a']);
  });

  it('knows the first and last day of a month, leap years included', () => {
    expect(monthOf('2026-12-03')).toEqual({ from: '2026-12-01', to: '2026-12-31' });
    expect(monthOf('2028-02-10')).toEqual({ from: '2028-02-01', to: '2028-02-29' });
    expect(monthOf('2026-02-28')).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(monthOf('2026-04-30')).toEqual({ from: '2026-04-01', to: '2026-04-30' });
  });
});
