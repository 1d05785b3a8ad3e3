import { AgingAccumulator, asOfDate, isCalendarDate } from '../../../core/finance/aging.js';
import { CSV_MEDIA_TYPE } from '../../../core/finance/csv.js';
import { agingCsv, salesCsv } from '../../../core/finance/report-csv.js';
import { monthOf, SalesAccumulator } from '../../../core/finance/sales.js';
import { scanRecords } from '../../../core/finance/scan.js';
import { UnprocessableError } from '../../../core/errors.js';
import { ENTITIES, type EntityName, type JsonObject } from '../../../core/model/entities.js';
import { checkReportFields, readableRules, rowScope, type RowScope } from '../../../core/policy/access.js';
import type { CompiledRule, Receiver } from '../../../core/policy/engine.js';
import type { AppDeps, OperationHandler, RequestContext } from '../context.js';
import { receiverFor } from '../receiver.js';
import { typedHandlers, type Schema } from '../typed.js';
import { authorizeUse } from './records.js';
import { groupLabels, teamTree } from './report-labels.js';
import { businessToday } from './views.js';

const GROUP_FIELDS = { customer: 'customerId', owner: 'ownerId', team: 'teamId' } as const;
type GroupBy = keyof typeof GROUP_FIELDS;

/** Ids kept for the audit record (the audit trail keeps at most this many per entry). */
const AUDITED_IDS = 1000;

/**
 * The caller's receiver, rules and row scope for a report over `entity`, once every field the
 * report reads is one the caller sees in plain form on every rule (else 403 naming the fields).
 */
async function reportScope(ctx: RequestContext, deps: AppDeps, entity: EntityName, fields: readonly string[], groupField: string): Promise<{ receiver: Receiver; rules: CompiledRule[]; scope: RowScope }> {
  const receiver = await receiverFor(ctx.principal!, deps.store);
  const rules = readableRules(deps.policy, receiver, entity, ENTITIES[entity].plural);
  checkReportFields(rules, entity, [{ field: groupField, pointer: '/query/groupBy' }, ...fields.map((f) => ({ field: f, pointer: `/${f}` }))]);
  return { receiver, rules, scope: rowScope(rules, receiver) };
}

/** What the audit trail keeps of a report call: the records it read (not what it summed) and the fields it used. */
function audited(ctx: RequestContext, ids: readonly string[], fields: readonly string[]): void {
  if (!ctx.audit) return;
  ctx.audit.recordIds = [...ids];
  ctx.audit.fields = [...fields].sort();
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The receivables aging and the sales performance reports (see openapi.yaml, docs/reports.md). */
export function reportHandlers(): Record<string, OperationHandler> {
  return typedHandlers({
    getReceivablesAging: {
      access: 'authenticated',
      authorize: authorizeUse('receivable', 'receivables', 'read'),
      audit: { action: 'report.receivables_aging', entity: 'receivable' },
      async handle(ctx, deps) {
        const groupBy = (text(ctx.query['groupBy']) ?? 'customer') as GroupBy;
        const groupField = GROUP_FIELDS[groupBy];
        const fields = ['balance', 'currency', 'dueDate', 'status'];
        const { receiver, scope } = await reportScope(ctx, deps, 'receivable', fields, groupField);
        const timeZone = deps.config.file.finance.timeZone;
        const asOf = asOfDate(text(ctx.query['asOf']), timeZone, '/query/asOf');
        const currency = text(ctx.query['currency']) ?? null;
        type Item = { currency: string; balance: string; dueDate: string; status: string | null; group: string | null };
        const aging = new AgingAccumulator<Item>(asOf, (r) => r.group);
        const ids: string[] = [];
        if (scope.kind !== 'nothing') {
          // Only what is left to collect: paid and written-off receivables are stored as such.
          const query = { filters: { status: ['open', 'partially_paid'] }, ...(scope.kind === 'some' ? { anyOf: scope.anyOf } : {}) };
          for await (const record of scanRecords(deps.store, ENTITIES.receivable, query)) {
            // Read through the caller's projection: the report can only sum what the caller may see.
            const view = deps.policy.project(receiver, 'receivable', record);
            const [cur, balance, dueDate] = [text(view?.['currency']), text(view?.['balance']), text(view?.['dueDate'])];
            if (!view || !cur || !balance || !dueDate || !isCalendarDate(dueDate) || (currency !== null && cur !== currency)) continue;
            const placed = aging.add({ currency: cur, balance, dueDate, status: text(view['status']) ?? null, group: text(view[groupField]) ?? null });
            if (placed && ids.length < AUDITED_IDS) ids.push(record.id);
          }
        }
        const groups = aging.byGroup();
        const labels = await groupLabels(deps, receiver, groupBy, groups.flatMap((g) => (g.key === null ? [] : [g.key])));
        const report: Schema<'ReceivablesAging'> = {
          asOf,
          timeZone,
          groupBy,
          currency,
          groups: groups.map((g) => ({ key: g.key, label: g.key === null ? null : (labels.get(g.key) ?? null), currencies: [...g.currencies] })),
          total: [...aging.total()],
        };
        audited(ctx, ids, [...fields, groupField]);
        if (ctx.mediaType === 'text/csv') {
          return { status: 200, body: agingCsv(report), contentType: CSV_MEDIA_TYPE, headers: { 'Content-Disposition': `attachment; filename="receivables-aging-${asOf}.csv"` } };
        }
        return { status: 200, body: report };
      },
    },
    getSalesPerformance: {
      access: 'authenticated',
      authorize: authorizeUse('order', 'orders', 'read'),
      audit: { action: 'report.sales_performance', entity: 'order' },
      async handle(ctx, deps) {
        const groupBy = (text(ctx.query['groupBy']) ?? 'owner') as 'owner' | 'team';
        const groupField = GROUP_FIELDS[groupBy];
        const fields = ['total', 'currency', 'orderDate', 'status', 'type'];
        const { receiver, rules, scope } = await reportScope(ctx, deps, 'order', fields, groupField);
        const timeZone = deps.config.file.finance.timeZone;
        const { from, to } = period(text(ctx.query['from']), text(ctx.query['to']), businessToday(deps));
        const quotaTypes = [...deps.config.file.orders.quotaTypes];
        type Item = { currency: string; total: string; quota: boolean; group: string | null };
        const sales = new SalesAccumulator<Item>((o) => o.group);
        const ids: string[] = [];
        if (scope.kind !== 'nothing') {
          const query = { ranges: [{ field: 'orderDate', from, to }], ...(scope.kind === 'some' ? { anyOf: scope.anyOf } : {}) };
          for await (const record of scanRecords(deps.store, ENTITIES.order, query)) {
            const view = deps.policy.project(receiver, 'order', record);
            const [cur, total, type] = [text(view?.['currency']), text(view?.['total']), text(view?.['type'])];
            if (!view || view['status'] === 'cancelled' || !cur || !total) continue;
            sales.add({ currency: cur, total, quota: type !== undefined && (quotaTypes as string[]).includes(type), group: text(view[groupField]) ?? null });
            if (ids.length < AUDITED_IDS) ids.push(record.id);
          }
        }
        const teams = groupBy === 'team' ? await teamTree(deps) : undefined;
        // A team line rolls up a subtree only where the caller sees all of it: all rows, or its own subtree.
        const covered = (team: string): boolean => scope.kind === 'all' || rules.some((r) => r.rows === 'subtree' && receiver.subtree.has(team));
        const lines = teams ? sales.byTeamTree((t) => (teams.has(t) ? (teams.get(t)?.parentTeamId ?? null) : undefined), covered) : sales.byGroup();
        const labels = await groupLabels(deps, receiver, groupBy, lines.flatMap((l) => (l.key === null ? [] : [l.key])), teams);
        const report: Schema<'SalesPerformance'> = {
          from,
          to,
          timeZone,
          groupBy,
          quotaTypes,
          groups: lines.map((l) => ({ key: l.key, label: l.key === null ? null : (labels.get(l.key) ?? null), ...(l.parentKey !== undefined ? { parentKey: l.parentKey } : {}), currencies: [...l.currencies] })),
          total: sales.total(),
        };
        audited(ctx, ids, [...fields, groupField]);
        if (ctx.mediaType === 'text/csv') {
          return { status: 200, body: salesCsv(report), contentType: CSV_MEDIA_TYPE, headers: { 'Content-Disposition': `attachment; filename="sales-performance-${from}-${to}.csv"` } };
        }
        return { status: 200, body: report };
      },
    },
  });
}

/**
 * The report period: `from` and `to` as given; a missing `from` is the first day of the month of
 * `to` (of today's month without `to`), a missing `to` the last day of the month of `from`. A day
 * that is no calendar date, or a `from` after `to`, is a 422 naming the parameter.
 */
export function period(from: string | undefined, to: string | undefined, today: string): { from: string; to: string } {
  for (const [name, value] of [['from', from], ['to', to]] as const) {
    if (value !== undefined && !isCalendarDate(value)) throw new UnprocessableError('The period is invalid', [{ pointer: `/query/${name}`, detail: 'must be a calendar date YYYY-MM-DD' }]);
  }
  const start = from ?? monthOf(to ?? today).from;
  const end = to ?? monthOf(start).to;
  if (start > end) throw new UnprocessableError('The period is empty', [{ pointer: '/query/from', detail: 'must not be after to' }]);
  return { from: start, to: end };
}
