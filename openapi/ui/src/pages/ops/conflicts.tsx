import { useEffect, useState } from 'preact/hooks';
import { api, problemOf, type Problem, type Schemas } from '../../api.js';
import { instantSeconds, t } from '../../i18n.js';
import { go, href } from '../../route.js';
import { Restricted } from '../fields.js';
import { ENTITY_NAMES, isEntity, json, tf, labelOf } from './format.js';
import { Field, Pager, ProblemNote } from './shell.js';

/**
 * The conflict inbox: a change a system made to a field the hub also changed, held back. Both
 * values side by side (as the admin's policy projects them); keep one, or type another.
 */

type Conflict = Schemas['Conflict'];
const PAGE = 20;
const PATH = ['ops', 'conflicts'] as const;

export function ConflictsPage(props: { query: URLSearchParams }) {
  const state = props.query.get('state') === 'resolved' ? 'resolved' : 'open';
  const entity = props.query.get('entity') ?? '';
  const cursor = props.query.get('cursor') ?? '';
  const [items, setItems] = useState<Conflict[] | undefined>();
  const [next, setNext] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [reload, setReload] = useState(0);
  const [notice, setNotice] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    setItems(undefined);
    setProblem(undefined);
    void api
      .GET('/api/v1/sync/conflicts', { params: { query: { limit: PAGE, state, ...(isEntity(entity) ? { entity } : {}), ...(cursor ? { cursor } : {}) } } })
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
  }, [state, entity, cursor, reload]);
  const query = { state: state === 'open' ? undefined : state, entity };
  return (
    <section aria-labelledby="conflicts-title">
      <h1 id="conflicts-title">{t('ops.conflicts.title')}</h1>
      <form class="filters" role="search" aria-label={t('ops.filters')} onSubmit={(e) => e.preventDefault()}>
        <Field label={t('ops.state')}>
          <select value={state} onChange={(e) => go(PATH, { ...query, state: e.currentTarget.value === 'open' ? undefined : e.currentTarget.value })}>
            <option value="open">{t('ops.conflicts.state.open')}</option>
            <option value="resolved">{t('ops.conflicts.state.resolved')}</option>
          </select>
        </Field>
        <Field label={t('ops.entity')}>
          <select value={entity} onChange={(e) => go(PATH, { ...query, entity: e.currentTarget.value })}>
            <option value="">{t('filter.any')}</option>
            {ENTITY_NAMES.map((en) => (
              <option key={en} value={en}>{labelOf('ops.entity', en)}</option>
            ))}
          </select>
        </Field>
      </form>
      {notice && <p class="notice" role="status">{notice}</p>}
      <ProblemNote problem={problem} />
      {!items && !problem && <p role="status">{t('loading')}</p>}
      {items && items.length === 0 && <p>{t('empty')}</p>}
      {items && items.length > 0 && (
        <ul class="cards" aria-label={t('ops.conflicts.title')}>
          {items.map((c) => (
            <li key={c.id}>
              <ConflictCard
                conflict={c}
                onResolved={(r) => {
                  setNotice(tf('ops.conflicts.resolvedNotice', { field: r.field, pick: labelOf('ops.conflicts.pick', r.resolution ?? 'value') }));
                  setReload((n) => n + 1);
                }}
              />
            </li>
          ))}
        </ul>
      )}
      <Pager path={PATH} query={query} cursor={cursor} next={next} label={t('ops.pages')} />
    </section>
  );
}

function Shown(props: { conflict: Conflict; side: 'hubValue' | 'theirValue' }) {
  if (!(props.side in props.conflict)) return <Restricted />;
  const v = props.conflict[props.side];
  if (v === null || v === undefined || v === '') return <span class="none">—</span>;
  return <code class="value">{json(v)}</code>;
}

/**
 * What a typed value means: text for a text field; for a field that holds numbers, booleans or
 * objects, the text read as JSON when it is JSON (so `12.5` stays a decimal string only where the
 * field holds strings).
 */
function typedValue(c: Conflict, text: string): unknown {
  const sample = [c.hubValue, c.theirValue].find((v) => v !== undefined && v !== null);
  if (sample === undefined || typeof sample === 'string') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function ConflictCard(props: { conflict: Conflict; onResolved: (c: Conflict) => void }) {
  const c = props.conflict;
  const id = `conflict-${c.id}`;
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>();
  const resolve = async (body: Schemas['ConflictResolution']) => {
    setBusy(true);
    setProblem(undefined);
    const { data, error, response } = await api.POST('/api/v1/sync/conflicts/{id}/resolve', { params: { path: { id: c.id } }, body });
    setBusy(false);
    if (data) props.onResolved(data);
    else setProblem(problemOf(error, response.status));
  };
  const entityLabel = labelOf('ops.entity', c.entity);
  const open = c.state === 'open';
  return (
    <article class="card conflict" aria-labelledby={`${id}-title`} data-conflict={c.id}>
      <header class="card-head">
        <h2 id={`${id}-title`}>{tf('ops.conflicts.heading', { entity: entityLabel, field: c.field })}</h2>
        <span class="muted">
          {isEntity(c.entity) ? <a href={href(['ops', 'lineage', c.entity, c.recordId])}>{c.recordId}</a> : c.recordId} · {instantSeconds(c.createdAt)}
        </span>
      </header>
      <div class="sides">
        <section class="side" aria-labelledby={`${id}-hub`}>
          <h3 id={`${id}-hub`}>{tf('ops.conflicts.hubValue', { system: c.hubSystem ?? 'hub' })}</h3>
          <p><Shown conflict={c} side="hubValue" /></p>
          {open && <button type="button" disabled={busy} onClick={() => void resolve({ pick: 'hub' })} aria-describedby={`${id}-title`}>{t('ops.conflicts.keepHub')}</button>}
        </section>
        <section class="side" aria-labelledby={`${id}-their`}>
          <h3 id={`${id}-their`}>{tf('ops.conflicts.theirValue', { system: c.system })}</h3>
          <p><Shown conflict={c} side="theirValue" /></p>
          {open && <button type="button" disabled={busy} onClick={() => void resolve({ pick: 'system' })} aria-describedby={`${id}-title`}>{tf('ops.conflicts.takeTheirs', { system: c.system })}</button>}
        </section>
      </div>
      {open ? (
        <form
          class="filters"
          aria-label={tf('ops.conflicts.setValueOf', { field: c.field })}
          onSubmit={(e) => {
            e.preventDefault();
            void resolve({ pick: 'value', value: typedValue(c, text) });
          }}
        >
          <Field label={t('ops.conflicts.value')}>
            <input name="value" value={text} required onInput={(e) => setText(e.currentTarget.value)} />
          </Field>
          <button type="submit" class="secondary" disabled={busy}>{t('ops.conflicts.setValue')}</button>
        </form>
      ) : (
        <p class="muted">{tf('ops.conflicts.resolvedBy', { pick: labelOf('ops.conflicts.pick', c.resolution ?? 'value'), by: c.resolvedBy ?? '—', at: c.resolvedAt ? instantSeconds(c.resolvedAt) : '—' })}</p>
      )}
      <ProblemNote problem={problem} />
    </article>
  );
}
