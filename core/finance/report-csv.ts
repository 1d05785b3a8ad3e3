import type { CurrencyTotals } from './aging.js';
import { toCsv, type CsvColumn } from './csv.js';
import type { SalesCurrencyTotals } from './sales.js';

/**
 * The reports as CSV: the same figures as their JSON, one row per group and currency, then one
 * row per currency for the totals (`level` says which). Columns are listed in openapi.yaml under
 * each report; the writer is csv.ts (RFC 4180, formula guard on text cells).
 */

export interface ReportGroup<C> {
  readonly key: string | null;
  readonly label: string | null;
  readonly parentKey?: string | null;
  readonly currencies: readonly C[];
}

export interface AgingReport {
  readonly asOf: string;
  readonly groups: readonly ReportGroup<CurrencyTotals>[];
  readonly total: readonly CurrencyTotals[];
}

export interface SalesReport {
  readonly from: string;
  readonly to: string;
  readonly groups: readonly ReportGroup<SalesCurrencyTotals>[];
  readonly total: readonly SalesCurrencyTotals[];
}

interface Row<C> {
  readonly level: 'group' | 'total';
  readonly group: Omit<ReportGroup<C>, 'currencies'> | undefined;
  readonly figures: C;
}

function* rows<C>(groups: readonly ReportGroup<C>[], total: readonly C[]): Generator<Row<C>> {
  for (const group of groups) for (const figures of group.currencies) yield { level: 'group', group, figures };
  for (const figures of total) yield { level: 'total', group: undefined, figures };
}

const common = <C extends { currency: string }>(): CsvColumn<Row<C>>[] => [
  { header: 'level', kind: 'text', value: (r) => r.level },
  { header: 'key', kind: 'text', value: (r) => r.group?.key },
  { header: 'label', kind: 'text', value: (r) => r.group?.label },
];

/** The aging report as CSV. */
export function agingCsv(report: AgingReport): string {
  const columns: CsvColumn<Row<CurrencyTotals>>[] = [
    { header: 'as_of', kind: 'date', value: () => report.asOf },
    ...common<CurrencyTotals>(),
    { header: 'currency', kind: 'text', value: (r) => r.figures.currency },
    { header: 'count', kind: 'number', value: (r) => r.figures.count },
    { header: 'current', kind: 'number', value: (r) => r.figures.buckets.current },
    { header: 'days_1_30', kind: 'number', value: (r) => r.figures.buckets.d1_30 },
    { header: 'days_31_60', kind: 'number', value: (r) => r.figures.buckets.d31_60 },
    { header: 'days_61_90', kind: 'number', value: (r) => r.figures.buckets.d61_90 },
    { header: 'days_over_90', kind: 'number', value: (r) => r.figures.buckets.over_90 },
    { header: 'total', kind: 'number', value: (r) => r.figures.total },
  ];
  return toCsv(columns, rows(report.groups, report.total));
}

/** The sales performance report as CSV. */
export function salesCsv(report: SalesReport): string {
  const columns: CsvColumn<Row<SalesCurrencyTotals>>[] = [
    { header: 'from', kind: 'date', value: () => report.from },
    { header: 'to', kind: 'date', value: () => report.to },
    ...common<SalesCurrencyTotals>(),
    { header: 'parent_key', kind: 'text', value: (r) => r.group?.parentKey },
    { header: 'currency', kind: 'text', value: (r) => r.figures.currency },
    { header: 'quota_count', kind: 'number', value: (r) => r.figures.quota.count },
    { header: 'quota_total', kind: 'number', value: (r) => r.figures.quota.total },
    { header: 'other_count', kind: 'number', value: (r) => r.figures.other.count },
    { header: 'other_total', kind: 'number', value: (r) => r.figures.other.total },
  ];
  return toCsv(columns, rows(report.groups, report.total));
}
