import { useEffect, useState } from 'preact/hooks';
import { api, problemOf, type Problem, type Schemas } from '../api.js';
import { money, t, type MessageKey } from '../i18n.js';
import { href } from '../route.js';
import { Value } from './fields.js';

const FIELDS = ['code', 'name', 'kind', 'status', 'email', 'phone', 'website', 'taxId', 'industry', 'currency', 'creditLimit', 'paymentTerms'] as const;

export function CustomerPage(props: { id: string }) {
  const [customer, setCustomer] = useState<Schemas['Customer'] | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
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
  return (
    <section aria-labelledby="customer-title">
      <p><a href={href(['customers'])}>← {t('customer.back')}</a></p>
      <h1 id="customer-title"><Value record={record} field="name" /></h1>
      <dl class="fields">
        {FIELDS.map((f) => (
          <div key={f}>
            <dt>{t(`customer.${f}` as MessageKey)}</dt>
            <dd data-field={f}>
              <Value record={record} field={f} format={f === 'creditLimit' && currency ? (v) => money(String(v), currency) : undefined} />
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
