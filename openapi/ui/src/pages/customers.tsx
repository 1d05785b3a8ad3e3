import { useEffect, useState } from 'preact/hooks';
import { api, problemOf, type Problem, type Schemas } from '../api.js';
import { t, type MessageKey } from '../i18n.js';
import { go, href } from '../route.js';
import { Value } from './fields.js';

const STATUSES = ['active', 'inactive'] as const;
const PAGE = 25;

export function CustomersPage(props: { query: URLSearchParams }) {
  const q = props.query.get('q') ?? '';
  const status = props.query.get('status') ?? '';
  const cursor = props.query.get('cursor') ?? '';
  const [items, setItems] = useState<Schemas['Customer'][] | undefined>();
  const [next, setNext] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [text, setText] = useState(q);
  useEffect(() => {
    let live = true;
    setItems(undefined);
    setProblem(undefined);
    void api
      .GET('/api/v1/customers', { params: { query: { limit: PAGE, sort: 'name', ...(q ? { q } : {}), ...(status ? { status: status as (typeof STATUSES)[number] } : {}), ...(cursor ? { cursor } : {}) } } })
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) {
          setItems(data.items);
          setNext(data.nextCursor);
        } else setProblem(problemOf(error, response.status));
      });
    return () => {
      live = false;
    };
  }, [q, status, cursor]);
  const search = (e: Event) => {
    e.preventDefault();
    go(['customers'], { q: text, status });
  };
  return (
    <section aria-labelledby="customers-title">
      <h1 id="customers-title">{t('customers.title')}</h1>
      <form class="filters" role="search" onSubmit={search}>
        <label>
          {t('search')}
          <input type="search" name="q" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <label>
          {t('filter.status')}
          <select name="status" value={status} onChange={(e) => go(['customers'], { q, status: e.currentTarget.value })}>
            <option value="">{t('filter.any')}</option>
            {STATUSES.map((s) => (
              <option value={s} key={s}>{t(`status.${s}` as MessageKey)}</option>
            ))}
          </select>
        </label>
        <button type="submit">{t('search')}</button>
      </form>
      {problem && <p class="error" role="alert">{problem.title}</p>}
      {!items && !problem && <p role="status">{t('loading')}</p>}
      {items && items.length === 0 && <p>{t('empty')}</p>}
      {items && items.length > 0 && (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">{t('customer.code')}</th>
              <th scope="col">{t('customer.name')}</th>
              <th scope="col">{t('customer.status')}</th>
              <th scope="col" class="wide">{t('customer.email')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.id}>
                <td><a href={href(['customers', c.id])}><Value record={c} field="code" /></a></td>
                <td><Value record={c} field="name" /></td>
                <td><Value record={c} field="status" format={(v) => t(`status.${String(v)}` as MessageKey)} /></td>
                <td class="wide"><Value record={c} field="email" /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="pages">
        {cursor && <a href={href(['customers'], { q, status })}>{t('page.first')}</a>}
        {next && <a href={href(['customers'], { q, status, cursor: next })}>{t('page.next')}</a>}
      </nav>
    </section>
  );
}
