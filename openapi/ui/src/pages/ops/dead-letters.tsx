import { useEffect, useState } from 'preact/hooks';
import { api, problemOf, type Problem, type Schemas } from '../../api.js';
import { instantSeconds, t } from '../../i18n.js';
import { go, href } from '../../route.js';
import { ENTITY_NAMES, count, isEntity, json, tf, labelOf } from './format.js';
import { ConfirmDialog, Field, Pager, ProblemNote } from './shell.js';

/**
 * Dead letters, filtered and paged by the server: each with its error and its payload as stored
 * (projected for the target and mapped); replay or discard one, or replay every open letter the
 * filter selects, each after a confirmation.
 */

type Letter = Schemas['DeadLetter'];
const STATES = ['open', 'replayed', 'discarded', 'delivered'] as const satisfies readonly Letter['state'][];
const DIRECTIONS = ['out', 'in'] as const;
const PAGE = 20;
const PATH = ['ops', 'dead-letters'] as const;

type Action = { kind: 'replay' | 'discard'; letter: Letter } | { kind: 'replayAll' } | { kind: 'discardAll' };

export function DeadLettersPage(props: { query: URLSearchParams }) {
  const q = props.query;
  const filter = {
    target: q.get('target') ?? '',
    entity: q.get('entity') ?? '',
    errorCode: q.get('errorCode') ?? '',
    // `open` is the API's default: the same filter as none.
    state: q.get('state') === 'open' ? '' : (q.get('state') ?? ''),
    direction: q.get('direction') ?? '',
  };
  const cursor = q.get('cursor') ?? '';
  const [items, setItems] = useState<Letter[] | undefined>();
  const [next, setNext] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [connectors, setConnectors] = useState<string[]>([]);
  const [action, setAction] = useState<Action | undefined>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | undefined>();
  const [reload, setReload] = useState(0);
  const [form, setForm] = useState(filter);
  const key = JSON.stringify([filter, cursor]);

  useEffect(() => setForm(filter), [key]);
  useEffect(() => {
    void api.GET('/api/v1/sync/connectors').then(({ data }) => data && setConnectors(data.items.map((c) => c.id)));
  }, []);
  useEffect(() => {
    let live = true;
    setItems(undefined);
    setProblem(undefined);
    const state = (STATES as readonly string[]).includes(filter.state) ? (filter.state as Letter['state']) : undefined;
    const direction = filter.direction === 'in' || filter.direction === 'out' ? filter.direction : undefined;
    void api
      .GET('/api/v1/sync/dead-letters', {
        params: {
          query: {
            limit: PAGE,
            ...(filter.target ? { target: filter.target } : {}),
            ...(isEntity(filter.entity) ? { entity: filter.entity } : {}),
            ...(filter.errorCode ? { errorCode: filter.errorCode } : {}),
            ...(state ? { state } : {}),
            ...(direction ? { direction } : {}),
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
  }, [key, reload]);

  const apply = (e: Event) => {
    e.preventDefault();
    go(PATH, form);
  };
  const open = filter.state === '' || filter.state === 'open';
  const act = async () => {
    if (!action) return;
    setBusy(true);
    setNotice(undefined);
    let failed: Problem | undefined;
    if (action.kind === 'replayAll' || action.kind === 'discardAll') {
      const direction: 'in' | 'out' | undefined = filter.direction === 'in' || filter.direction === 'out' ? filter.direction : undefined;
      const body = {
        ...(filter.target ? { target: filter.target } : {}),
        ...(isEntity(filter.entity) ? { entity: filter.entity } : {}),
        ...(filter.errorCode ? { errorCode: filter.errorCode } : {}),
        ...(direction ? { direction } : {}),
      };
      if (action.kind === 'replayAll') {
        const { data, error, response } = await api.POST('/api/v1/sync/dead-letter-replays', { body });
        if (data) setNotice(tf('ops.dl.replayedN', { n: count(data.replayed) }));
        else failed = problemOf(error, response.status);
      } else {
        const { data, error, response } = await api.POST('/api/v1/sync/dead-letter-discards', { body });
        if (data) setNotice(tf('ops.dl.discardedN', { n: count(data.discarded) }));
        else failed = problemOf(error, response.status);
      }
    } else {
      const id = action.letter.id;
      const path = { params: { path: { id } } };
      const { data, error, response } = action.kind === 'replay' ? await api.POST('/api/v1/sync/dead-letters/{id}/replay', path) : await api.POST('/api/v1/sync/dead-letters/{id}/discard', path);
      if (data) setNotice(tf(action.kind === 'replay' ? 'ops.dl.replayedOne' : 'ops.dl.discardedOne', { id }));
      else failed = problemOf(error, response.status);
    }
    setBusy(false);
    setAction(undefined);
    setProblem(failed);
    if (!failed) setReload((n) => n + 1);
  };

  return (
    <section aria-labelledby="dl-title">
      <h1 id="dl-title">{t('ops.dl.title')}</h1>
      <form class="filters" role="search" aria-label={t('ops.filters')} onSubmit={apply}>
        <Field label={t('ops.connector')}>
          <select name="target" value={form.target} onChange={(e) => setForm({ ...form, target: e.currentTarget.value })}>
            <option value="">{t('filter.any')}</option>
            {[...new Set([...connectors, ...(filter.target ? [filter.target] : [])])].map((c) => (
              <option key={c} value={c}>{c}</option>
            ))}
          </select>
        </Field>
        <Field label={t('ops.entity')}>
          <select name="entity" value={form.entity} onChange={(e) => setForm({ ...form, entity: e.currentTarget.value })}>
            <option value="">{t('filter.any')}</option>
            {ENTITY_NAMES.map((en) => (
              <option key={en} value={en}>{labelOf('ops.entity', en)}</option>
            ))}
          </select>
        </Field>
        <Field label={t('ops.direction')}>
          <select name="direction" value={form.direction} onChange={(e) => setForm({ ...form, direction: e.currentTarget.value })}>
            <option value="">{t('filter.any')}</option>
            {DIRECTIONS.map((d) => (
              <option key={d} value={d}>{labelOf('ops.direction', d)}</option>
            ))}
          </select>
        </Field>
        <Field label={t('ops.dl.errorCode')}>
          <input name="errorCode" value={form.errorCode} maxLength={64} onInput={(e) => setForm({ ...form, errorCode: e.currentTarget.value })} />
        </Field>
        <Field label={t('ops.state')}>
          <select name="state" value={form.state} onChange={(e) => setForm({ ...form, state: e.currentTarget.value })}>
            {STATES.map((s) => (
              <option key={s} value={s === 'open' ? '' : s}>{labelOf('ops.dl.state', s)}</option>
            ))}
          </select>
        </Field>
        <button type="submit">{t('ops.apply')}</button>
      </form>
      {open && items && items.length > 0 && (
        <p>
          <button type="button" class="secondary" onClick={() => setAction({ kind: 'replayAll' })}>{t('ops.dl.replayAll')}</button>{' '}
          <button type="button" class="secondary" onClick={() => setAction({ kind: 'discardAll' })}>{t('ops.dl.discardAll')}</button>
        </p>
      )}
      {notice && <p class="notice" role="status">{notice}</p>}
      <ProblemNote problem={problem} />
      {!items && !problem && <p role="status">{t('loading')}</p>}
      {items && items.length === 0 && <p>{t('empty')}</p>}
      {items && items.length > 0 && (
        <ul class="cards" aria-label={t('ops.dl.title')}>
          {items.map((l) => (
            <li key={l.id}>
              <LetterCard letter={l} onAct={(kind) => setAction({ kind, letter: l })} />
            </li>
          ))}
        </ul>
      )}
      <Pager path={PATH} query={filter} cursor={cursor} next={next} label={t('ops.pages')} />
      <ConfirmDialog
        id="dl-confirm"
        open={action !== undefined}
        busy={busy}
        danger={action?.kind === 'discard' || action?.kind === 'discardAll'}
        title={action ? t(action.kind === 'replayAll' ? 'ops.dl.replayAllTitle' : action.kind === 'discardAll' ? 'ops.dl.discardAllTitle' : action.kind === 'replay' ? 'ops.dl.replayTitle' : 'ops.dl.discardTitle') : ''}
        confirmLabel={action ? t(action.kind === 'discard' || action.kind === 'discardAll' ? 'ops.dl.discard' : 'ops.dl.replay') : ''}
        onConfirm={() => void act()}
        onClose={() => setAction(undefined)}
      >
        {(action?.kind === 'replayAll' || action?.kind === 'discardAll') && <ReplayAllText filter={filter} discard={action.kind === 'discardAll'} />}
        {action && action.kind !== 'replayAll' && action.kind !== 'discardAll' && (
          <p>{tf(action.kind === 'replay' ? 'ops.dl.replayBody' : 'ops.dl.discardBody', { id: action.letter.id, target: action.letter.target, entity: labelOf('ops.entity', action.letter.entity), record: action.letter.recordId })}</p>
        )}
      </ConfirmDialog>
    </section>
  );
}

function ReplayAllText(props: { filter: Record<string, string>; discard: boolean }) {
  const f = props.filter;
  const parts = [
    f['target'] && `${t('ops.connector')}: ${f['target']}`,
    f['entity'] && `${t('ops.entity')}: ${labelOf('ops.entity', f['entity'])}`,
    f['direction'] && `${t('ops.direction')}: ${labelOf('ops.direction', f['direction'])}`,
    f['errorCode'] && `${t('ops.dl.errorCode')}: ${f['errorCode']}`,
  ].filter(Boolean) as string[];
  return (
    <>
      <p>{t(props.discard ? 'ops.dl.discardAllBody' : 'ops.dl.replayAllBody')}</p>
      {parts.length ? (
        <ul>
          {parts.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : (
        <p><strong>{t('ops.dl.replayAllEverything')}</strong></p>
      )}
    </>
  );
}

function LetterCard(props: { letter: Letter; onAct: (kind: 'replay' | 'discard') => void }) {
  const l = props.letter;
  const id = `dl-${l.id}`;
  return (
    <article class="card letter" aria-labelledby={`${id}-title`} data-letter={l.id}>
      <header class="card-head">
        <h2 id={`${id}-title`}>
          {tf('ops.dl.heading', { id: l.id, entity: labelOf('ops.entity', l.entity), target: l.target })}
        </h2>
        <span class="badge">{labelOf('ops.direction', l.direction)}</span>
        <span class={`badge state-${l.state}`}>{labelOf('ops.dl.state', l.state)}</span>
      </header>
      <dl class="facts">
        <div>
          <dt>{t('ops.dl.error')}</dt>
          <dd class="error"><code>{l.errorCode}</code> {l.errorMessage}</dd>
        </div>
        <div>
          <dt>{t('ops.dl.record')}</dt>
          <dd>{l.direction === 'out' && isEntity(l.entity) ? <a href={href(['ops', 'lineage', l.entity, l.recordId])}>{l.recordId}</a> : l.recordId} <span class="muted">v{l.version}</span></dd>
        </div>
        <div>
          <dt>{t('ops.dl.created')}</dt>
          <dd>{instantSeconds(l.createdAt)} · {tf('ops.dl.attempts', { n: count(l.attempts) })}</dd>
        </div>
        {l.resolvedAt && (
          <div>
            <dt>{t('ops.dl.resolved')}</dt>
            <dd>{instantSeconds(l.resolvedAt)} · {l.resolvedBy ?? '—'}</dd>
          </div>
        )}
      </dl>
      <details>
        <summary>{t('ops.dl.payload')}</summary>
        <pre class="payload" tabIndex={0} aria-label={tf('ops.dl.payloadOf', { id: l.id })}>{json(l.payload)}</pre>
      </details>
      {l.state === 'open' && (
        <div class="actions">
          <button type="button" onClick={() => props.onAct('replay')} aria-describedby={`${id}-title`}>{t('ops.dl.replay')}</button>
          <button type="button" class="secondary" onClick={() => props.onAct('discard')} aria-describedby={`${id}-title`}>{t('ops.dl.discard')}</button>
        </div>
      )}
    </article>
  );
}
