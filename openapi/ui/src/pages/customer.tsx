import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, problemOf, type Problem, type Schemas } from '../api.js';
import { money, t, type MessageKey } from '../i18n.js';
import { may, permissions } from '../permissions.js';
import { href } from '../route.js';
import { useSignal } from '../state.js';
import { Value } from './fields.js';
import { orderColumns } from './orders.js';
import { paymentColumns, receivableColumns } from './finance.js';
import { DataTable, useList } from './table.js';

export const CUSTOMER_FIELDS = ['code', 'name', 'kind', 'status', 'email', 'phone', 'website', 'taxId', 'industry', 'currency', 'creditLimit', 'paymentTerms'] as const;

export function CustomerPage(props: { id: string }) {
  const [customer, setCustomer] = useState<Schemas['Customer'] | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const perms = useSignal(permissions);
  useEffect(() => {
    setCustomer(undefined);
    setProblem(undefined);
    void api.GET('/api/v1/customers/{id}', { params: { path: { id: props.id } } }).then(({ data, error, response }) => {
      if (data) setCustomer(data);
      else setProblem(problemOf(error, response.status));
    });
  }, [props.id]);
  if (problem) return <p class="error" role="alert">{problem.status === 404 ? t('error.notFound') : problem.title}</p>;
  if (!customer) return <p role="status">{t('loading')}</p>;
  const record = customer as Record<string, unknown>;
  const currency = typeof record['currency'] === 'string' ? record['currency'] : undefined;
  const editable = (perms?.['customer']?.write.length ?? 0) > 0;
  return (
    <section aria-labelledby="customer-title">
      <p><a href={href(['customers'])}>← {t('customer.back')}</a></p>
      <div class="title-row">
        <h1 id="customer-title"><Value record={record} field="name" /></h1>
        {editable && <a class="button" href={href(['customers', props.id, 'edit'])}>{t('action.edit')}</a>}
      </div>
      <dl class="fields">
        {CUSTOMER_FIELDS.map((f) => (
          <div key={f}>
            <dt>{t(`customer.${f}` as MessageKey)}</dt>
            <dd data-field={f}>
              <Value record={record} field={f} format={f === 'creditLimit' && currency ? (v) => money(String(v), currency) : undefined} />
            </dd>
          </div>
        ))}
      </dl>
      {may('contact', 'read') && <Contacts customerId={props.id} />}
      {may('order', 'read') && <RelatedOrders customerId={props.id} />}
      {may('receivable', 'read') && <RelatedReceivables customerId={props.id} />}
      {may('payment', 'read') && <RelatedPayments customerId={props.id} />}
    </section>
  );
}

function Contacts(props: { customerId: string }) {
  const list = useList<Schemas['Contact']>(() => api.GET('/api/v1/contacts', { params: { query: { customerId: props.customerId, limit: 50 } } }), [props.customerId]);
  return (
    <section aria-labelledby="contacts-title">
      <h2 id="contacts-title">{t('nav.contacts')}</h2>
      <DataTable
        caption={t('nav.contacts')}
        page={list.page}
        problem={list.problem}
        columns={[
          { label: t('contact.name'), render: (c) => <>{[c.firstName, c.lastName].filter(Boolean).join(' ')}</> },
          { label: t('contact.title'), render: (c) => <Value record={c} field="title" /> },
          { label: t('customer.email'), render: (c) => <Value record={c} field="email" /> },
          { label: t('customer.phone'), wide: true, render: (c) => <Value record={c} field="phone" /> },
        ]}
      />
    </section>
  );
}

function RelatedOrders(props: { customerId: string }) {
  const list = useList<Schemas['Order']>(() => api.GET('/api/v1/orders', { params: { query: { customerId: props.customerId, limit: 20, sort: '-orderDate' } } }), [props.customerId]);
  return <RelatedSection id="related-orders" title={t('nav.orders')}><DataTable caption={t('nav.orders')} page={list.page} problem={list.problem} columns={orderColumns()} /></RelatedSection>;
}

function RelatedReceivables(props: { customerId: string }) {
  const list = useList<Schemas['Receivable']>(() => api.GET('/api/v1/receivables', { params: { query: { customerId: props.customerId, limit: 20, sort: '-dueDate' } } }), [props.customerId]);
  return <RelatedSection id="related-receivables" title={t('nav.receivables')}><DataTable caption={t('nav.receivables')} page={list.page} problem={list.problem} columns={receivableColumns()} /></RelatedSection>;
}

function RelatedPayments(props: { customerId: string }) {
  const list = useList<Schemas['Payment']>(() => api.GET('/api/v1/payments', { params: { query: { customerId: props.customerId, limit: 20, sort: '-date' } } }), [props.customerId]);
  return <RelatedSection id="related-payments" title={t('nav.payments')}><DataTable caption={t('nav.payments')} page={list.page} problem={list.problem} columns={paymentColumns()} /></RelatedSection>;
}

function RelatedSection(props: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.children}
    </section>
  );
}
