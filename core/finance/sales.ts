import { currencyScale } from '../model/codes.js';
import { dec, fmt, zero, type Dec } from '../model/decimal.js';

/**
 * Sales performance: orders counted and summed per group (an owner, a team) and per currency,
 * those that count toward a sales quota beside the others. Decimal end to end; amounts of
 * different currencies are never added. Streaming: the accumulator holds sums, not orders.
 */

/** One order as the report reads it. */
export interface SalesInput {
  readonly currency: string;
  /** The order's total, a decimal string. */
  readonly total: string;
  /** Whether the order's type counts toward the quota (`orders.quotaTypes`). */
  readonly quota: boolean;
}

export interface SalesFigures {
  readonly count: number;
  /** A decimal string at the currency's scale. */
  readonly total: string;
}

export interface SalesCurrencyTotals {
  readonly currency: string;
  readonly quota: SalesFigures;
  readonly other: SalesFigures;
}

export interface SalesLine {
  readonly key: string | null;
  /** With a team rollup: the nearest ancestor team that has a line of its own, else null. */
  readonly parentKey?: string | null;
  readonly currencies: readonly SalesCurrencyTotals[];
}

class Sums {
  quotaCount = 0;
  quotaTotal: Dec = zero();
  otherCount = 0;
  otherTotal: Dec = zero();

  add(quota: boolean, amount: Dec): void {
    if (quota) {
      this.quotaCount++;
      this.quotaTotal = this.quotaTotal.plus(amount);
    } else {
      this.otherCount++;
      this.otherTotal = this.otherTotal.plus(amount);
    }
  }

  merge(other: Sums): void {
    this.quotaCount += other.quotaCount;
    this.quotaTotal = this.quotaTotal.plus(other.quotaTotal);
    this.otherCount += other.otherCount;
    this.otherTotal = this.otherTotal.plus(other.otherTotal);
  }

  view(currency: string): SalesCurrencyTotals {
    const scale = currencyScale(currency);
    return { currency, quota: { count: this.quotaCount, total: fmt(this.quotaTotal, scale) }, other: { count: this.otherCount, total: fmt(this.otherTotal, scale) } };
  }
}

type ByCurrency = Map<string, Sums>;

function sumsFor(map: ByCurrency, currency: string): Sums {
  let sums = map.get(currency);
  if (!sums) map.set(currency, (sums = new Sums()));
  return sums;
}

function views(map: ReadonlyMap<string, Sums>): SalesCurrencyTotals[] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([currency, sums]) => sums.view(currency));
}

const byKey = (a: string | null, b: string | null): number => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);

/**
 * Counts and sums orders one at a time under their group (`groupOf`: an owner's or a team's id, or
 * null) and in the grand total, per currency.
 */
export class SalesAccumulator<T extends SalesInput = SalesInput> {
  private readonly groups = new Map<string | null, ByCurrency>();
  private readonly all: ByCurrency = new Map();

  constructor(private readonly groupOf: (order: T) => string | null = () => null) {}

  add(order: T): void {
    const amount = dec(order.total);
    sumsFor(this.all, order.currency).add(order.quota, amount);
    const key = this.groupOf(order);
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = new Map()));
    sumsFor(group, order.currency).add(order.quota, amount);
  }

  /** Each group's own figures, in key order (no group last). */
  byGroup(): SalesLine[] {
    return [...this.groups.entries()].sort(([a], [b]) => byKey(a, b)).map(([key, sums]) => ({ key, currencies: views(sums) }));
  }

  /**
   * Lines per team with each team's subtree rolled up: a team's line holds its own orders and those
   * of every team below it. A team gets a line when it has orders of its own, or when `covered` says
   * the caller sees all of the team's rows (so that a line for a team never shows part of it as the
   * whole); its orders then count in its own line and in the lines of its ancestors that have one.
   * Lines come in tree order (each after its parent, siblings in key order); `parentKey` is the
   * nearest ancestor with a line. Orders without a team form the last line (key null).
   * `parentOf` answers a team's parent (null at the top, undefined for an unknown team); a cycle in
   * it ends the walk up rather than looping.
   */
  byTeamTree(parentOf: (team: string) => string | null | undefined, covered: (team: string) => boolean): SalesLine[] {
    const ancestors = (team: string): string[] => {
      const out: string[] = [];
      const seen = new Set([team]);
      for (let p = parentOf(team); typeof p === 'string' && !seen.has(p); p = parentOf(p)) {
        seen.add(p);
        out.push(p);
      }
      return out;
    };
    const rolled = new Map<string, ByCurrency>();
    const parentLine = new Map<string, string | null>();
    const line = (team: string): ByCurrency => {
      let sums = rolled.get(team);
      if (!sums) rolled.set(team, (sums = new Map()));
      return sums;
    };
    for (const [key, own] of this.groups) {
      if (key === null) continue;
      const targets = [key, ...ancestors(key).filter((a) => this.groups.has(a) || covered(a))];
      for (const team of targets) {
        const sums = line(team);
        for (const [currency, s] of own) sumsFor(sums, currency).merge(s);
      }
    }
    for (const team of rolled.keys()) parentLine.set(team, ancestors(team).find((a) => rolled.has(a)) ?? null);
    const children = new Map<string | null, string[]>();
    for (const [team, parent] of parentLine) children.set(parent, [...(children.get(parent) ?? []), team]);
    const out: SalesLine[] = [];
    const emitted = new Set<string>();
    const emit = (team: string, parent: string | null): void => {
      if (emitted.has(team)) return;
      emitted.add(team);
      out.push({ key: team, parentKey: parent, currencies: views(rolled.get(team) as ByCurrency) });
      for (const child of (children.get(team) ?? []).sort(byKey)) emit(child, team);
    };
    for (const team of (children.get(null) ?? []).sort(byKey)) emit(team, null);
    // Teams in a cycle (the model keeps teams a tree; stored data might not be) hang from nothing.
    for (const team of [...rolled.keys()].sort(byKey)) emit(team, null);
    const none = this.groups.get(null);
    if (none) out.push({ key: null, parentKey: null, currencies: views(none) });
    return out;
  }

  /** The grand total, per currency: each order once. */
  total(): SalesCurrencyTotals[] {
    return views(this.all);
  }
}

/** The first and last day of the month a calendar date `YYYY-MM-DD` falls in. */
export function monthOf(date: string): { from: string; to: string } {
  const [y, m] = date.split('-').map(Number) as [number, number];
  const last = new Date(0);
  last.setUTCFullYear(y, m, 0); // day 0 of the next month: the last day of this one
  return { from: `${date.slice(0, 7)}-01`, to: `${date.slice(0, 7)}-${String(last.getUTCDate()).padStart(2, '0')}` };
}
