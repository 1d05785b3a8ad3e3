import { useState } from 'preact/hooks';
import { api, type Schemas } from '../api.js';
import { t, type MessageKey } from '../i18n.js';
import { may } from '../permissions.js';
import { go, href } from '../route.js';
import { user } from '../session.js';
import { useSignal } from '../state.js';
import { Value } from './fields.js';
import { DataTable, useList } from './table.js';

const STATUSES = ['active', 'inactive'] as const;
type Status = (typeof STATUSES)[number];
const PAGE = 25;

export function CustomersPage(props: { query: URLSearchParams }) {
  const q = props.query.get('q') ?? '';
  const status = props.query.get('status') ?? '';
  const cursor = props.query.get('cursor') ?? '';
  // Owner and team as the signed-in user relates to them (users and teams are listed for admins only).
  const owner = props.query.get('owner') ?? '';
  const team = props.query.get('team') ?? '';
  const me = useSignal(user);
  const ownerId = owner === 'me' ? me?.id : undefined;
  const teamId = team === 'mine' ? (me?.teamId ?? undefined) : undefined;
  const [text, setText] = useState(q);
  const list = useList<Schemas['Customer']>(
    () =>
      api.GET('/api/v1/customers', {
        params: { query: { limit: PAGE, sort: 'name', ...(q ? { q } : {}), ...(status ? { status: status as Status } : {}), ...(ownerId ? { ownerId } : {}), ...(teamId ? { teamId } : {}), ...(cursor ? { cursor } : {}) } },
      }),
    [q, status, ownerId, teamId, cursor],
  );
  const filters = { q, status, owner, team };
  const search = (e: Event) => {
    e.preventDefault();
    go(['customers'], { ...filters, q: text });
  };
  return (
    <section aria-labelledby="customers-title">
      <div class="title-row">
        <h1 id="customers-title">{t('customers.title')}</h1>
        {may('customer', 'create') && <a class="button" href={href(['customers', 'new'])}>{t('customer.new')}</a>}
      </div>
      <form class="filters" role="search" onSubmit={search}>
        <label>
          {t('search')}
          <input type="search" name="q" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <label>
          {t('filter.status')}
          <select name="status" value={status} onChange={(e) => go(['customers'], { ...filters, status: e.currentTarget.value })}>
            <option value="">{t('filter.any')}</option>
            {STATUSES.map((s) => (
              <option value={s} key={s}>{t(`status.${s}` as MessageKey)}</option>
            ))}
          </select>
        </label>
        <label>
          {t('filter.owner')}
          <select name="owner" value={owner} onChange={(e) => go(['customers'], { ...filters, owner: e.currentTarget.value })}>
            <option value="">{t('filter.any')}</option>
            <option value="me">{t('filter.me')}</option>
          </select>
        </label>
        {me?.teamId && (
          <label>
            {t('filter.team')}
            <select name="team" value={team} onChange={(e) => go(['customers'], { ...filters, team: e.currentTarget.value })}>
              <option value="">{t('filter.any')}</option>
              <option value="mine">{t('filter.myTeam')}</option>
            </select>
          </label>
        )}
        <button type="submit">{t('search')}</button>
      </form>
      <DataTable
        caption={t('customers.title')}
        page={list.page}
        problem={list.problem}
        columns={[
          { label: t('customer.code'), render: (c) => <a href={href(['customers', c.id])}><Value record={c} field="code" /></a> },
          { label: t('customer.name'), render: (c) => <Value record={c} field="name" /> },
          { label: t('customer.status'), render: (c) => <Value record={c} field="status" format={(v) => t(`status.${String(v)}` as MessageKey)} /> },
          { label: t('customer.email'), wide: true, render: (c) => <Value record={c} field="email" /> },
        ]}
        first={cursor ? href(['customers'], filters) : undefined}
        next={list.page?.nextCursor ? href(['customers'], { ...filters, cursor: list.page.nextCursor }) : undefined}
      />
    </section>
  );
}
