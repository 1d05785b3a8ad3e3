import { businessDate, statusOn } from '../../../core/finance/aging.js';
import type { EntityName, JsonObject, JsonValue, StoredRecord } from '../../../core/model/entities.js';
import type { AppDeps } from '../context.js';

/** Today's date in the business time zone (`finance.timeZone`): what overdue and the reports' default dates are reckoned on. */
export function businessToday(deps: Pick<AppDeps, 'config'>, now: Date = new Date()): string {
  return businessDate(now, deps.config.file.finance.timeZone);
}

/**
 * What a reader sees of a record beyond its projection: a receivable's `status` as of `today`
 * (`overdue` when something is owed and its due date has passed; the store keeps the payment
 * state). Only for a reader who sees both status and dueDate in plain form: to one who may not see
 * the due date, "overdue" would tell it; such a reader sees the payment state as stored.
 */
export function withReadView(entity: EntityName, projected: JsonObject, record: StoredRecord, today: string): JsonObject {
  if (entity !== 'receivable') return projected;
  if (projected['status'] === undefined || projected['status'] !== record['status'] || projected['dueDate'] !== record['dueDate']) return projected;
  const status = statusOn(record, today);
  return status === projected['status'] ? projected : { ...projected, status: status as JsonValue };
}
