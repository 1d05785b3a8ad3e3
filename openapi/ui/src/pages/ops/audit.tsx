import { useEffect, useState } from 'preact/hooks';
import { api, problemOf, type Problem, type Schemas } from '../../api.js';
import { instantSeconds, t } from '../../i18n.js';
import { go } from '../../route.js';
import { ENTITY_NAMES, localToIso, labelOf } from './format.js';
import { Field, Pager, ProblemNote, Scroll } from './shell.js';

/** The audit trail (admins and auditors), filtered and paged by the server. Field names only, never values. */

const PAGE = 50;
const PATH = ['ops', 'audit'] as const;
const KEYS = ['actor', 'action', 'entity', 'from', 'to'] as const;
type Filter = Record<(typeof KEYS)[number], string>;

export function AuditPage(props: { query: URLSearchParams }) {
  const filter = Object.fromEntries(KEYS.map((k) => [k, props.query.get(k) ?? ''])) as Filter;
  const cursor = props.query.get('cursor') ?? '';
  const key = JSON.stringify([filter, cursor]);
  const [form, setForm] = useState<Filter>(filter);
  const [items, setItems] = useState<Schemas['AuditRecord'][] | undefined>();
  const [next, setNext] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | undefined>();
  useEffect(() => setForm(filter), [key]);
  useEffect(() => {
    let live = true;
    setItems(undefined);
    setProblem(undefined);
    const from = localToIso(filter.from);
    const to = localToIso(filter.to);
    void api
      .GET('/api/v1/audit', {
        params: {
          query: {
            limit: PAGE,
            ...(filter.actor ? { actor: filter.actor } : {}),
            ...(filter.action ? { action: filter.action } : {}),
            ...(filter.entity ? { entity: filter.entity } : {}),
            ...(from ? { from } : {}),
            ...(to ? { to } : {}),
            ...(cursor ? { cursor } : {}),
          },
        },
      })
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
  }, [key]);
  const set = (k: keyof Filter) => (e: Event) => setForm({ ...form, [k]: (e.currentTarget as HTMLInputElement).value });
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">{t('ops.audit.title')}</h1>
      <form
        class="filters"
        role="search"
        aria-label={t('ops.filters')}
        onSubmit={(e) => {
          e.preventDefault();
          go(PATH, form);
        }}
      >
        <Field label={t('ops.audit.actor')}>
          <input name="actor" value={form.actor} maxLength={200} onInput={set('actor')} />
        </Field>
        <Field label={t('ops.audit.action')}>
          <input name="action" value={form.action} maxLength={200} placeholder="customer.update" onInput={set('action')} />
        </Field>
        <Field label={t('ops.entity')}>
          <input name="entity" value={form.entity} maxLength={200} list="audit-entities" onInput={set('entity')} />
          <datalist id="audit-entities">
            {ENTITY_NAMES.map((en) => (
              <option key={en} value={en} />
            ))}
          </datalist>
        </Field>
        <Field label={t('ops.audit.from')}>
          <input name="from" type="datetime-local" value={form.from} onInput={set('from')} />
        </Field>
        <Field label={t('ops.audit.to')}>
          <input name="to" type="datetime-local" value={form.to} onInput={set('to')} />
        </Field>
        <button type="submit">{t('ops.apply')}</button>
      </form>
      <ProblemNote problem={problem} />
      {!items && !problem && <p role="status">{t('loading')}</p>}
      {items && items.length === 0 && <p>{t('empty')}</p>}
      {items && items.length > 0 && (
        <Scroll label={t('ops.audit.title')}>
          <table class="list stack audit">
            <thead>
              <tr>
                <th scope="col">{t('ops.audit.time')}</th>
                <th scope="col">{t('ops.audit.actor')}</th>
                <th scope="col">{t('ops.audit.action')}</th>
                <th scope="col">{t('ops.entity')}</th>
                <th scope="col">{t('ops.audit.records')}</th>
                <th scope="col">{t('ops.audit.fields')}</th>
                <th scope="col">{t('ops.audit.outcome')}</th>
                <th scope="col" class="num">{t('ops.audit.status')}</th>
                <th scope="col">{t('ops.audit.ip')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id} data-id={a.id}>
                  <td data-label={t('ops.audit.time')} class="nowrap">{instantSeconds(a.time)}</td>
                  <td data-label={t('ops.audit.actor')}>{a.actor} <span class="muted">({labelOf('ops.audit.actorType', a.actorType)})</span></td>
                  <td data-label={t('ops.audit.action')}><code>{a.action}</code></td>
                  <td data-label={t('ops.entity')}>{a.entity ?? '—'}</td>
                  <td data-label={t('ops.audit.records')} class="ids">{a.recordIds.length > 3 ? `${a.recordIds.slice(0, 3).join(', ')} … (+${a.recordIds.length - 3})` : a.recordIds.join(', ') || '—'}</td>
                  <td data-label={t('ops.audit.fields')}>{a.fields.join(', ') || '—'}</td>
                  <td data-label={t('ops.audit.outcome')}><span class={`badge outcome-${a.outcome}`}>{labelOf('ops.audit.outcome', a.outcome)}</span></td>
                  <td data-label={t('ops.audit.status')} class="num">{a.status ?? '—'}</td>
                  <td data-label={t('ops.audit.ip')}>{a.sourceIp}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      <Pager path={PATH} query={filter} cursor={cursor} next={next} label={t('ops.pages')} />
    </section>
  );
}
