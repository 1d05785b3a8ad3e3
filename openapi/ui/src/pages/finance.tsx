import { api, type Schemas } from '../api.js';
import { date, money, t, type MessageKey } from '../i18n.js';
import { go, href } from '../route.js';
import { Value } from './fields.js';
import { DataTable, useList, type Column } from './table.js';

type Receivable = Schemas['Receivable'];
type Payment = Schemas['Payment'];
const RECEIVABLE_STATUSES = ['open', 'partially_paid', 'paid', 'overdue', 'written_off'] as const;
type ReceivableStatus = (typeof RECEIVABLE_STATUSES)[number];

const moneyOf = (r: Record<string, unknown>, field: string) => <Value record={r} field={field} format={(v) => (typeof r['currency'] === 'string' ? money(String(v), r['currency']) : String(v))} />;

/** Whole days a due date lies before today (the browser's calendar date); 0 when not yet due. */
export function daysPastDue(dueDate: string, today = new Date()): number {
  const [y, m, d] = dueDate.split('-').map(Number);
  if (!y || !m || !d) return 0;
  const due = Date.UTC(y, m - 1, d);
  const now = Date.UTC(today.getFullYear(), today.getMonth(), today.getDate());
  return Math.max(0, Math.round((now - due) / 86_400_000));
}

export function receivableColumns(): Column<Receivable>[] {
  return [
    { label: t('receivable.number'), render: (r) => <Value record={r} field="number" /> },
    { label: t('receivable.dueDate'), render: (r) => <Value record={r} field="dueDate" format={(v) => date(String(v))} /> },
    {
      label: t('receivable.daysPastDue'),
      num: true,
      render: (r) => {
        const owed = typeof r.balance === 'string' && !/^-?0(\.0+)?$/.test(r.balance) && r.status !== 'paid' && r.status !== 'written_off';
        return typeof r.dueDate === 'string' && owed ? String(daysPastDue(r.dueDate)) : '—';
      },
    },
    { label: t('receivable.status'), render: (r) => <Value record={r} field="status" format={(v) => t(`receivableStatus.${String(v)}` as MessageKey)} /> },
    { label: t('receivable.amount'), num: true, wide: true, render: (r) => moneyOf(r, 'amount') },
    { label: t('receivable.balance'), num: true, render: (r) => moneyOf(r, 'balance') },
  ];
}

export function paymentColumns(): Column<Payment>[] {
  return [
    { label: t('payment.date'), render: (p) => <Value record={p} field="date" format={(v) => date(String(v))} /> },
    { label: t('payment.reference'), render: (p) => <Value record={p} field="reference" /> },
    { label: t('payment.method'), wide: true, render: (p) => <Value record={p} field="method" format={(v) => t(`paymentMethod.${String(v)}` as MessageKey)} /> },
    { label: t('payment.amount'), num: true, render: (p) => moneyOf(p, 'amount') },
  ];
}

export function ReceivablesPage(props: { query: URLSearchParams }) {
  const status = props.query.get('status') ?? '';
  const cursor = props.query.get('cursor') ?? '';
  const list = useList<Receivable>(
    () => api.GET('/api/v1/receivables', { params: { query: { limit: 25, sort: 'dueDate', ...(status ? { status: status as ReceivableStatus } : {}), ...(cursor ? { cursor } : {}) } } }),
    [status, cursor],
  );
  return (
    <section aria-labelledby="receivables-title">
      <h1 id="receivables-title">{t('nav.receivables')}</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          {t('filter.status')}
          <select name="status" value={status} onChange={(e) => go(['receivables'], { status: e.currentTarget.value })}>
            <option value="">{t('filter.any')}</option>
            {RECEIVABLE_STATUSES.map((s) => <option key={s} value={s}>{t(`receivableStatus.${s}` as MessageKey)}</option>)}
          </select>
        </label>
      </form>
      <DataTable
        caption={t('nav.receivables')}
        page={list.page}
        problem={list.problem}
        columns={receivableColumns()}
        first={cursor ? href(['receivables'], { status }) : undefined}
        next={list.page?.nextCursor ? href(['receivables'], { status, cursor: list.page.nextCursor }) : undefined}
      />
    </section>
  );
}

export function PaymentsPage(props: { query: URLSearchParams }) {
  const cursor = props.query.get('cursor') ?? '';
  const list = useList<Payment>(() => api.GET('/api/v1/payments', { params: { query: { limit: 25, sort: '-date', ...(cursor ? { cursor } : {}) } } }), [cursor]);
  return (
    <section aria-labelledby="payments-title">
      <h1 id="payments-title">{t('nav.payments')}</h1>
      <DataTable
        caption={t('nav.payments')}
        page={list.page}
        problem={list.problem}
        columns={paymentColumns()}
        first={cursor ? href(['payments']) : undefined}
        next={list.page?.nextCursor ? href(['payments'], { cursor: list.page.nextCursor }) : undefined}
      />
    </section>
  );
}
