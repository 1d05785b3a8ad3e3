import { useEffect, useState } from 'preact/hooks';
import { api, problemOf, type Problem, type Schemas } from '../api.js';
import { date, money, t, type MessageKey } from '../i18n.js';
import { go, href } from '../route.js';
import { Restricted, Value } from './fields.js';
import { DataTable, useList, type Column } from './table.js';

type Order = Schemas['Order'];
const STATUSES = ['draft', 'confirmed', 'shipped', 'invoiced', 'cancelled'] as const;
type Status = (typeof STATUSES)[number];

const moneyOf = (r: Record<string, unknown>, field: string) => <Value record={r} field={field} format={(v) => (typeof r['currency'] === 'string' ? money(String(v), r['currency']) : String(v))} />;

export function orderColumns(): Column<Order>[] {
  return [
    { label: t('order.number'), render: (o) => <a href={href(['orders', o.id])}><Value record={o} field="number" /></a> },
    { label: t('order.orderDate'), render: (o) => <Value record={o} field="orderDate" format={(v) => date(String(v))} /> },
    { label: t('order.type'), render: (o) => <Value record={o} field="type" format={(v) => t(`orderType.${String(v)}` as MessageKey)} /> },
    { label: t('order.status'), render: (o) => <Value record={o} field="status" format={(v) => t(`orderStatus.${String(v)}` as MessageKey)} /> },
    { label: t('order.total'), num: true, render: (o) => moneyOf(o, 'total') },
  ];
}

export function OrdersPage(props: { query: URLSearchParams }) {
  const status = props.query.get('status') ?? '';
  const q = props.query.get('q') ?? '';
  const cursor = props.query.get('cursor') ?? '';
  const [text, setText] = useState(q);
  const list = useList<Order>(
    () => api.GET('/api/v1/orders', { params: { query: { limit: 25, sort: '-orderDate', ...(q ? { q } : {}), ...(status ? { status: status as Status } : {}), ...(cursor ? { cursor } : {}) } } }),
    [q, status, cursor],
  );
  return (
    <section aria-labelledby="orders-title">
      <h1 id="orders-title">{t('nav.orders')}</h1>
      <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); go(['orders'], { q: text, status }); }}>
        <label>
          {t('search')}
          <input type="search" name="q" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <label>
          {t('filter.status')}
          <select name="status" value={status} onChange={(e) => go(['orders'], { q, status: e.currentTarget.value })}>
            <option value="">{t('filter.any')}</option>
            {STATUSES.map((s) => <option key={s} value={s}>{t(`orderStatus.${s}` as MessageKey)}</option>)}
          </select>
        </label>
        <button type="submit">{t('search')}</button>
      </form>
      <DataTable
        caption={t('nav.orders')}
        page={list.page}
        problem={list.problem}
        columns={orderColumns()}
        first={cursor ? href(['orders'], { q, status }) : undefined}
        next={list.page?.nextCursor ? href(['orders'], { q, status, cursor: list.page.nextCursor }) : undefined}
      />
    </section>
  );
}

export function OrderPage(props: { id: string }) {
  const [order, setOrder] = useState<Order | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  useEffect(() => {
    void api.GET('/api/v1/orders/{id}', { params: { path: { id: props.id }, query: { expand: ['customer'] } } }).then(({ data, error, response }) => {
      if (data) setOrder(data);
      else setProblem(problemOf(error, response.status));
    });
  }, [props.id]);
  if (problem) return <p class="error" role="alert">{problem.status === 404 ? t('error.notFound') : problem.title}</p>;
  if (!order) return <p role="status">{t('loading')}</p>;
  const o = order as Record<string, unknown>;
  const customer = order.customer as Record<string, unknown> | null | undefined;
  const lines = (Array.isArray(o['lines']) ? o['lines'] : []) as Record<string, unknown>[];
  const currency = typeof o['currency'] === 'string' ? o['currency'] : undefined;
  const m = (r: Record<string, unknown>, f: string) => <Value record={r} field={f} format={(v) => (currency ? money(String(v), currency) : String(v))} />;
  return (
    <section aria-labelledby="order-title">
      <p><a href={href(['orders'])}>← {t('order.back')}</a></p>
      <h1 id="order-title">{t('order.title')} <Value record={o} field="number" /></h1>
      <dl class="fields">
        <div><dt>{t('order.customer')}</dt><dd>{customer ? <a href={href(['customers', String(customer['id'])])}><Value record={customer} field="name" /></a> : <Restricted />}</dd></div>
        <div><dt>{t('order.orderDate')}</dt><dd><Value record={o} field="orderDate" format={(v) => date(String(v))} /></dd></div>
        <div><dt>{t('order.deliveryDate')}</dt><dd data-field="deliveryDate"><Value record={o} field="deliveryDate" format={(v) => date(String(v))} /></dd></div>
        <div><dt>{t('order.type')}</dt><dd><Value record={o} field="type" format={(v) => t(`orderType.${String(v)}` as MessageKey)} /></dd></div>
        <div><dt>{t('order.countsTowardQuota')}</dt><dd data-field="countsTowardQuota"><Value record={o} field="countsTowardQuota" format={(v) => (v ? t('yes') : t('no'))} /></dd></div>
        <div><dt>{t('order.status')}</dt><dd><Value record={o} field="status" format={(v) => t(`orderStatus.${String(v)}` as MessageKey)} /></dd></div>
        <div><dt>{t('order.paymentTerms')}</dt><dd data-field="paymentTerms"><Value record={o} field="paymentTerms" /></dd></div>
      </dl>
      <h2>{t('order.lines')}</h2>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">{t('order.sku')}</th>
            <th scope="col" class="wide">{t('order.description')}</th>
            <th scope="col" class="num">{t('order.quantity')}</th>
            <th scope="col" class="num">{t('order.unitPrice')}</th>
            <th scope="col" class="num wide">{t('order.discount')}</th>
            <th scope="col" class="num">{t('order.lineTotal')}</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l, i) => (
            <tr key={i}>
              <td><Value record={l} field="sku" /></td>
              <td class="wide"><Value record={l} field="description" /></td>
              <td class="num"><Value record={l} field="quantity" /></td>
              <td class="num" data-field="unitPrice">{m(l, 'unitPrice')}</td>
              <td class="num wide"><Value record={l} field="discount" format={(v) => `${String(v)} %`} /></td>
              <td class="num" data-field="lineTotal">{m(l, 'lineTotal')}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr><th scope="row" colSpan={5} class="num">{t('order.subtotal')}</th><td class="num" data-field="subtotal">{m(o, 'subtotal')}</td></tr>
          <tr><th scope="row" colSpan={5} class="num">{t('order.taxTotal')}</th><td class="num" data-field="taxTotal">{m(o, 'taxTotal')}</td></tr>
          <tr><th scope="row" colSpan={5} class="num">{t('order.total')}</th><td class="num" data-field="total">{m(o, 'total')}</td></tr>
        </tfoot>
      </table>
    </section>
  );
}
