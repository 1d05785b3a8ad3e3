import { RECEIVABLE_STATUSES, statusSelection, type ReceivableStatus } from '../../../core/finance/aging.js';
import { UnprocessableError, type FieldProblem } from '../../../core/errors.js';
import type { EntityDef, JsonObject } from '../../../core/model/entities.js';
import type { ListQuery, ListRange } from '../../../core/store/records.js';

/** What a list's query parameters select, as store conditions, and the fields each parameter reads. */
export interface ListConditions {
  readonly filters: NonNullable<ListQuery['filters']>;
  readonly ranges: readonly ListRange[];
  /** Each filter parameter with the fields it reads: the caller must see them in plain form (checkQueryFields). */
  readonly uses: readonly { readonly param: string; readonly fields: readonly string[] }[];
  /** Whether an item, as shown to the caller, belongs in the answer. */
  readonly keep: (shown: JsonObject) => boolean;
}

const isStatus = (v: unknown): v is ReceivableStatus => typeof v === 'string' && (RECEIVABLE_STATUSES as readonly string[]).includes(v);

/**
 * The store conditions of a list query: equality filters (`status=shipped`), date ranges
 * (`orderDateFrom` … `orderDateTo`, inclusive calendar dates; a `From` after its `To` is a 422 naming
 * it), and a receivable's `status`, which selects by the status the reader sees as of `today`: the
 * stored payment state and the due date, both indexed columns, so the list still pages in SQL.
 */
export function listConditions(def: EntityDef, query: Readonly<Record<string, unknown>>, today: string): ListConditions {
  const filters: Record<string, string | boolean | readonly string[]> = {};
  const ranges: ListRange[] = [];
  const uses: { param: string; fields: string[] }[] = [];
  let keep: ListConditions['keep'] = () => true;
  for (const f of def.filters) {
    const v = query[f];
    if (typeof v !== 'string' && typeof v !== 'boolean') continue;
    if (def.name === 'receivable' && f === 'status' && isStatus(v)) {
      const selection = statusSelection(v, today);
      filters['status'] = selection.states.length === 1 ? (selection.states[0] as string) : selection.states;
      if (selection.dueBefore !== undefined) ranges.push({ field: 'dueDate', before: selection.dueBefore });
      if (selection.dueFrom !== undefined) ranges.push({ field: 'dueDate', from: selection.dueFrom });
      // The status asked for depends on the due date unless it is a settled one.
      uses.push({ param: f, fields: v === 'paid' || v === 'written_off' ? ['status'] : ['status', 'dueDate'] });
      keep = (shown) => shown['status'] === v;
      continue;
    }
    filters[f] = v;
    uses.push({ param: f, fields: [f] });
  }
  const problems: FieldProblem[] = [];
  for (const field of def.rangeFilters ?? []) {
    const from = query[`${field}From`];
    const to = query[`${field}To`];
    if (typeof from !== 'string' && typeof to !== 'string') continue;
    if (typeof from === 'string' && typeof to === 'string' && from > to) {
      problems.push({ pointer: `/query/${field}From`, detail: `must not be after ${field}To` });
      continue;
    }
    ranges.push({ field, ...(typeof from === 'string' ? { from } : {}), ...(typeof to === 'string' ? { to } : {}) });
    if (typeof from === 'string') uses.push({ param: `${field}From`, fields: [field] });
    if (typeof to === 'string') uses.push({ param: `${field}To`, fields: [field] });
  }
  if (problems.length > 0) throw new UnprocessableError('The date range is empty', problems);
  return { filters, ranges, uses, keep };
}
