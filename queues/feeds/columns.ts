import type { FieldProblem } from '../../core/errors.js';
import type { EntityName } from '../../core/model/entities.js';
import { STRUCTURAL_FIELDS, type FieldCatalog } from '../../core/policy/catalog.js';
import type { PolicyEngine } from '../../core/policy/engine.js';

/**
 * The columns of a receivables feed. A column names a field of the receivable, of its customer, or
 * of the aging (`aging.daysPastDue`, `aging.bucket`, `aging.status`); every field it reads comes from
 * the records as projected for the feed's receiver, and a column the receiver may not read is refused
 * when the configuration loads, like a mapping that reads a denied field.
 */

export const COLUMN_SOURCES = ['receivable', 'customer', 'aging'] as const;
export type ColumnSource = (typeof COLUMN_SOURCES)[number];

export const AGING_COLUMNS = ['daysPastDue', 'bucket', 'status'] as const;

/** The columns a feed has unless its configuration lists its own. */
export const DEFAULT_FEED_COLUMNS: readonly string[] = Object.freeze([
  'customer.code',
  'customer.name',
  'receivable.number',
  'receivable.issueDate',
  'receivable.dueDate',
  'receivable.currency',
  'receivable.amount',
  'receivable.paidAmount',
  'receivable.balance',
  'aging.daysPastDue',
  'aging.bucket',
  'aging.status',
]);

/** Receivable fields every feed reads to age and total (the receiver must see them in plain form). */
export const AGING_READS = ['customerId', 'currency', 'balance', 'dueDate', 'status'] as const;
/** And, for `aging.status` (the status as of the feed's date): what it is computed from. */
const STATUS_READS = ['amount', 'paidAmount'] as const;

export interface FeedColumn {
  /** As configured: `customer.code`. */
  readonly ref: string;
  /** The header: snake_case, customer fields prefixed (`customer_code`, `due_date`, `days_past_due`). */
  readonly header: string;
  readonly source: ColumnSource;
  /** The field path in the source (`code`, `billingAddress.city`). */
  readonly path: string;
}

const snake = (path: string): string => path.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** A configured column reference as a column (its syntax is checked by the schema). */
export function feedColumn(ref: string): FeedColumn {
  const dot = ref.indexOf('.');
  const source = ref.slice(0, dot) as ColumnSource;
  const path = ref.slice(dot + 1);
  return { ref, source, path, header: source === 'customer' ? `customer_${snake(path)}` : snake(path) };
}

/**
 * What a feed's columns and aging read that its receiver may not (or that does not exist), as
 * configuration problems at `<at>/columns/<i>` and `<at>/receiver`.
 */
export function checkFeedColumns(policy: PolicyEngine, catalog: FieldCatalog, receiverName: string, refs: readonly string[], at: string): FieldProblem[] {
  const receiver = `target:${receiverName}`;
  if (!policy.receivers().includes(receiver)) return [{ pointer: `${at}/receiver`, detail: `the policy has no target ${receiverName}: it would receive nothing (default deny)` }];
  const why = (entity: EntityName, field: string): string => {
    const rule = policy.rule(receiver, entity);
    return !rule ? `the policy has no ${entity} rule for ${receiver}` : rule.rows === 'none' ? `${receiver} has rows: none for ${entity}` : `no read rule of ${receiver}/${entity} names ${field}`;
  };
  const problems: FieldProblem[] = [];
  const headers = new Map<string, number>();
  refs.forEach((ref, i) => {
    const column = feedColumn(ref);
    const pointer = `${at}/columns/${i}`;
    const seen = headers.get(column.header);
    if (seen !== undefined) problems.push({ pointer, detail: `repeats the column ${column.header} (columns/${seen})` });
    headers.set(column.header, i);
    if (column.source === 'aging') {
      if (!(AGING_COLUMNS as readonly string[]).includes(column.path)) problems.push({ pointer, detail: `aging has no column ${column.path} (it has ${AGING_COLUMNS.join(', ')})` });
      return;
    }
    const entity: EntityName = column.source;
    const [top, sub] = column.path.split('.', 2) as [string, string | undefined];
    const fields = catalog.get(entity);
    const subs = fields?.get(top);
    if (!fields?.has(top) || (sub !== undefined && !subs?.has(sub)) || column.path.split('.').length > 2) {
      problems.push({ pointer, detail: `${entity} has no field ${column.path}` });
      return;
    }
    if (subs && sub === undefined) {
      problems.push({ pointer, detail: `${entity}.${top} is a structure: name one of its fields (${[...subs].map((s) => `${column.source}.${top}.${s}`).join(', ')})` });
      return;
    }
    if (STRUCTURAL_FIELDS.has(column.path)) return;
    if (policy.decision(receiver, entity, column.path).action === 'deny') {
      problems.push({ pointer, detail: `names ${entity}.${column.path}, which ${receiver} may not see (${why(entity, column.path)})` });
    }
  });
  const reads = [...AGING_READS, ...(refs.includes('aging.status') ? STATUS_READS : [])];
  for (const field of reads) {
    if (policy.decision(receiver, 'receivable', field).action !== 'allow') {
      problems.push({ pointer: `${at}/receiver`, detail: `a feed ages receivables by receivable.${field}, which ${receiver} may not see in plain form (${why('receivable', field)})` });
    }
  }
  return problems;
}
