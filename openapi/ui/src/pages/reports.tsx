import { useEffect, useState } from 'preact/hooks';
import { api, problemOf, type Problem, type Schemas } from '../api.js';
import { saveFile } from '../download.js';
import { date, money, t, type MessageKey } from '../i18n.js';
import { go, href } from '../route.js';
import { BarChart } from './chart.js';

type Aging = Schemas['ReceivablesAging'];
type Sales = Schemas['SalesPerformance'];
const BUCKETS = ['current', 'd1_30', 'd31_60', 'd61_90', 'over_90'] as const;

/** Downloads the same report as CSV (Accept: text/csv), through the typed client. */
async function downloadCsv(load: () => Promise<{ data?: unknown; response: Response }>, name: string): Promise<void> {
  const { data, response } = await load();
  if (!response.ok || typeof data !== 'string') return;
  saveFile(data, name, 'text/csv;charset=utf-8');
}

function ReportProblem(props: { problem: Problem }) {
  const p = props.problem;
  return (
    <p class="error" role="alert">
      {p.status === 403 ? t('error.forbidden') : p.title}
      {p.detail ? ` — ${p.detail}` : ''}
      {p.errors?.length ? ` (${p.errors.map((e) => e.detail).join('; ')})` : ''}
    </p>
  );
}

export function AgingReport(props: { query: URLSearchParams }) {
  const asOf = props.query.get('asOf') ?? '';
  const groupBy = (props.query.get('groupBy') ?? 'customer') as Aging['groupBy'];
  const [report, setReport] = useState<Aging | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const query = { groupBy, ...(asOf ? { asOf } : {}) };
  useEffect(() => {
    setReport(undefined);
    setProblem(undefined);
    void api.GET('/api/v1/reports/receivables-aging', { params: { query } }).then(({ data, error, response }) => {
      if (data && typeof data === 'object') setReport(data as Aging);
      else setProblem(problemOf(error, response.status));
    });
  }, [asOf, groupBy]);
  const csv = () =>
    downloadCsv(() => api.GET('/api/v1/reports/receivables-aging', { params: { query }, headers: { Accept: 'text/csv' }, parseAs: 'text' }), `receivables-aging-${report?.asOf ?? 'today'}.csv`);
  return (
    <section aria-labelledby="aging-title">
      <h1 id="aging-title">{t('report.aging')}</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          {t('report.asOf')}
          <input type="date" name="asOf" value={asOf || report?.asOf || ''} onChange={(e) => go(['reports', 'aging'], { asOf: e.currentTarget.value, groupBy })} />
        </label>
        <label>
          {t('report.groupBy')}
          <select name="groupBy" value={groupBy} onChange={(e) => go(['reports', 'aging'], { asOf, groupBy: e.currentTarget.value })}>
            {(['customer', 'owner', 'team'] as const).map((g) => <option key={g} value={g}>{t(`report.by.${g}` as MessageKey)}</option>)}
          </select>
        </label>
        <button type="button" class="secondary" onClick={() => void csv()} disabled={!report}>{t('report.csv')}</button>
      </form>
      {problem && <ReportProblem problem={problem} />}
      {!report && !problem && <p role="status">{t('loading')}</p>}
      {report && (
        <>
          <p class="muted">{t('report.asOfNote')} {date(report.asOf)} ({report.timeZone})</p>
          {report.total.length === 0 && <p>{t('empty')}</p>}
          {report.total.map((c) => (
            <figure key={c.currency} class="chart">
              <figcaption>{t('report.total')} {c.currency}: {money(c.total, c.currency)}</figcaption>
              <BarChart label={`${t('report.aging')} ${c.currency}`} bars={BUCKETS.map((b) => ({ label: t(`bucket.${b}` as MessageKey), value: Number(c.buckets[b]), text: money(c.buckets[b], c.currency) }))} />
            </figure>
          ))}
          <div class="table-wrap">
            <table class="list" data-testid="aging-table">
              <thead>
                <tr>
                  <th scope="col">{t(`report.by.${groupBy}` as MessageKey)}</th>
                  <th scope="col">{t('customer.currency')}</th>
                  {BUCKETS.map((b) => <th scope="col" class="num" key={b}>{t(`bucket.${b}` as MessageKey)}</th>)}
                  <th scope="col" class="num">{t('report.total')}</th>
                </tr>
              </thead>
              <tbody>
                {report.groups.flatMap((g) =>
                  g.currencies.map((c, i) => (
                    <tr key={`${g.key ?? '-'}-${c.currency}`}>
                      <th scope="row">{i === 0 ? (g.label ?? t('report.none')) : ''}</th>
                      <AgingCells c={c} />
                    </tr>
                  )),
                )}
              </tbody>
              <tfoot>
                {report.total.map((c) => (
                  <tr key={c.currency}>
                    <th scope="row">{t('report.total')}</th>
                    <AgingCells c={c} />
                  </tr>
                ))}
              </tfoot>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

export function SalesReport(props: { query: URLSearchParams }) {
  const from = props.query.get('from') ?? '';
  const to = props.query.get('to') ?? '';
  const groupBy = (props.query.get('groupBy') ?? 'owner') as Sales['groupBy'];
  const [report, setReport] = useState<Sales | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const query = { groupBy, ...(from ? { from } : {}), ...(to ? { to } : {}) };
  useEffect(() => {
    setReport(undefined);
    setProblem(undefined);
    void api.GET('/api/v1/reports/sales-performance', { params: { query } }).then(({ data, error, response }) => {
      if (data && typeof data === 'object') setReport(data as Sales);
      else setProblem(problemOf(error, response.status));
    });
  }, [from, to, groupBy]);
  const csv = () =>
    downloadCsv(() => api.GET('/api/v1/reports/sales-performance', { params: { query }, headers: { Accept: 'text/csv' }, parseAs: 'text' }), `sales-performance-${report?.from ?? ''}-${report?.to ?? ''}.csv`);
  const nav = (next: Record<string, string>) => go(['reports', 'sales'], { from, to, groupBy, ...next });
  const currencies = [...new Set(report?.total.map((c) => c.currency) ?? [])];
  return (
    <section aria-labelledby="sales-title">
      <h1 id="sales-title">{t('report.sales')}</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          {t('report.from')}
          <input type="date" name="from" value={from || report?.from || ''} onChange={(e) => nav({ from: e.currentTarget.value })} />
        </label>
        <label>
          {t('report.to')}
          <input type="date" name="to" value={to || report?.to || ''} onChange={(e) => nav({ to: e.currentTarget.value })} />
        </label>
        <label>
          {t('report.groupBy')}
          <select name="groupBy" value={groupBy} onChange={(e) => nav({ groupBy: e.currentTarget.value })}>
            {(['owner', 'team'] as const).map((g) => <option key={g} value={g}>{t(`report.by.${g}` as MessageKey)}</option>)}
          </select>
        </label>
        <button type="button" class="secondary" onClick={() => void csv()} disabled={!report}>{t('report.csv')}</button>
      </form>
      {problem && <ReportProblem problem={problem} />}
      {!report && !problem && <p role="status">{t('loading')}</p>}
      {report && (
        <>
          <p class="muted">{date(report.from)} – {date(report.to)} ({report.timeZone}); {t('report.quotaTypes')}: {report.quotaTypes.map((q) => t(`orderType.${q}` as MessageKey)).join(', ')}</p>
          {currencies.map((cur) => (
            <figure key={cur} class="chart">
              <figcaption>{t('report.quota')} ({cur})</figcaption>
              <BarChart
                label={`${t('report.sales')} ${cur}`}
                bars={report.groups.flatMap((g) => g.currencies.filter((c) => c.currency === cur).map((c) => ({ label: g.label ?? t('report.none'), value: Number(c.quota.total), text: money(c.quota.total, cur) })))}
              />
            </figure>
          ))}
          <div class="table-wrap">
            <table class="list" data-testid="sales-table">
              <thead>
                <tr>
                  <th scope="col">{t(`report.by.${groupBy}` as MessageKey)}</th>
                  <th scope="col">{t('customer.currency')}</th>
                  <th scope="col" class="num">{t('report.quotaCount')}</th>
                  <th scope="col" class="num">{t('report.quota')}</th>
                  <th scope="col" class="num">{t('report.otherCount')}</th>
                  <th scope="col" class="num">{t('report.other')}</th>
                </tr>
              </thead>
              <tbody>
                {report.groups.flatMap((g) =>
                  g.currencies.map((c, i) => (
                    <tr key={`${g.key ?? '-'}-${c.currency}`} class={g.parentKey ? 'child' : undefined}>
                      <th scope="row">{i === 0 ? (g.label ?? t('report.none')) : ''}</th>
                      <SalesCells c={c} />
                    </tr>
                  )),
                )}
              </tbody>
              <tfoot>
                {report.total.map((c) => (
                  <tr key={c.currency}>
                    <th scope="row">{t('report.total')}</th>
                    <SalesCells c={c} />
                  </tr>
                ))}
              </tfoot>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

/** One currency's aging cells: the currency, each bucket, the total (a group's line and the total line alike). */
function AgingCells(props: { c: Aging['total'][number] }) {
  const c = props.c;
  return (
    <>
      <td>{c.currency}</td>
      {BUCKETS.map((b) => <td class="num" key={b}>{money(c.buckets[b], c.currency)}</td>)}
      <td class="num">{money(c.total, c.currency)}</td>
    </>
  );
}

/** One currency's sales cells: quota and other orders, count and total. */
function SalesCells(props: { c: Sales['total'][number] }) {
  const c = props.c;
  return (
    <>
      <td>{c.currency}</td>
      <td class="num">{c.quota.count}</td>
      <td class="num">{money(c.quota.total, c.currency)}</td>
      <td class="num">{c.other.count}</td>
      <td class="num">{money(c.other.total, c.currency)}</td>
    </>
  );
}

export const REPORT_LINKS = { aging: href(['reports', 'aging']), sales: href(['reports', 'sales']) };
