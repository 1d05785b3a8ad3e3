import { useState } from 'preact/hooks';
import { api, problemOf, type Problem, type Schemas } from '../../api.js';
import { instantSeconds, t } from '../../i18n.js';
import { href } from '../../route.js';
import { count, duration, tf, labelOf } from './format.js';
import { usePoll } from './poll.js';
import { BackfillForm, RecentRuns, RunProgress } from './runs.js';
import { ProblemNote, Scroll } from './shell.js';

/**
 * The connectors' live status (listSyncConnectors, read again every few seconds while the page is
 * visible): state, breaker, queue, per entity and direction the last success and error, lag, counts
 * and open dead letters; a connection test, and backfills with their progress.
 */

type Status = Schemas['ConnectorStatus'];
const STATUS_POLL_MS = 3000;

export function ConnectorsPage() {
  const [items, setItems] = useState<Status[] | undefined>();
  const [runs, setRuns] = useState<Schemas['SyncRun'][] | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [readAt, setReadAt] = useState<string | undefined>();
  const load = async () => {
    const [status, recent] = await Promise.all([api.GET('/api/v1/sync/connectors'), api.GET('/api/v1/sync/runs', { params: { query: { limit: 10 } } })]);
    if (status.data) {
      setItems(status.data.items);
      setProblem(undefined);
      setReadAt(new Date().toISOString());
    } else setProblem(problemOf(status.error, status.response.status));
    if (recent.data) setRuns(recent.data.items);
    // A 401 ends the session (the app shows sign-in); a 403 will not change by asking again.
    return status.response.status !== 401 && status.response.status !== 403;
  };
  usePoll(load, STATUS_POLL_MS, []);
  return (
    <section aria-labelledby="connectors-title">
      <h1 id="connectors-title">{t('ops.connectors.title')}</h1>
      <p class="muted" aria-live="off">{readAt ? tf('ops.connectors.readAt', { at: instantSeconds(readAt), every: duration(STATUS_POLL_MS / 1000) }) : t('loading')}</p>
      <ProblemNote problem={problem} />
      {items && items.length === 0 && <p>{t('ops.connectors.none')}</p>}
      {items?.map((c) => <ConnectorCard key={c.id} status={c} onChange={() => void load()} />)}
      <RecentRuns runs={runs} />
    </section>
  );
}

function ConnectorCard(props: { status: Status; onChange: () => void }) {
  const c = props.status;
  const [started, setStarted] = useState<Schemas['SyncRun'][]>([]);
  const headingId = `connector-${c.id}`;
  // Runs the status lists (unfinished), and those started here (kept after they finish, to show the outcome).
  const shown = [...started, ...c.runs.filter((r) => !started.some((s) => s.id === r.id))];
  return (
    <article class="card connector" aria-labelledby={headingId} data-connector={c.id}>
      <header class="card-head">
        <h2 id={headingId}>{c.id}</h2>
        <span class={`badge state-${c.state}`} data-testid={`state-${c.id}`}>{labelOf('ops.state', c.state)}</span>
        <span class="muted">{c.roles.map((r) => labelOf('ops.role', r)).join(' · ')}</span>
      </header>
      <dl class="facts">
        {c.breaker && (
          <div>
            <dt>{t('ops.breaker')}</dt>
            <dd>
              {labelOf('ops.breaker', c.breaker.state)}
              {c.breaker.failures > 0 && <> · {tf('ops.breaker.failures', { n: count(c.breaker.failures) })}</>}
              {c.breaker.retryAt && <> · {tf('ops.breaker.retryAt', { at: instantSeconds(c.breaker.retryAt) })}</>}
            </dd>
          </div>
        )}
        {c.queue && (
          <div>
            <dt>{t('ops.queue')}</dt>
            <dd>{tf('ops.queue.depth', { waiting: count(c.queue.waiting), active: count(c.queue.active), delayed: count(c.queue.delayed), failed: count(c.queue.failed) })}</dd>
          </div>
        )}
        <div>
          <dt>{t('ops.check.last')}</dt>
          <dd><CheckText check={c.check} /></dd>
        </div>
      </dl>
      {c.entities.length > 0 && <EntityTable status={c} />}
      <CheckButton connector={c.id} onChecked={props.onChange} />
      {shown.map((r) => (
        <RunProgress key={r.id} runId={r.id} initial={r} onFinished={props.onChange} />
      ))}
      <BackfillForm
        connector={c}
        onStarted={(run) => {
          setStarted((s) => [run, ...s]);
          props.onChange();
        }}
      />
    </article>
  );
}

function EntityTable(props: { status: Status }) {
  const c = props.status;
  return (
    <Scroll label={tf('ops.entities.of', { connector: c.id })}>
      <table class="list stack entities">
        <thead>
          <tr>
            <th scope="col">{t('ops.entity')}</th>
            <th scope="col">{t('ops.direction')}</th>
            <th scope="col">{t('ops.lastSuccess')}</th>
            <th scope="col">{t('ops.lastError')}</th>
            <th scope="col" class="num">{t('ops.lag')}</th>
            <th scope="col">{t('ops.counts')}</th>
            <th scope="col" class="num">{t('ops.openDeadLetters')}</th>
          </tr>
        </thead>
        <tbody>
          {c.entities.map((e) => (
            <tr key={`${e.entity}-${e.direction}`}>
              <th scope="row">{labelOf('ops.entity', e.entity)}</th>
              <td data-label={t('ops.direction')}>{labelOf('ops.direction', e.direction)}</td>
              <td data-label={t('ops.lastSuccess')}>{e.lastSuccessAt ? instantSeconds(e.lastSuccessAt) : '—'}</td>
              <td data-label={t('ops.lastError')}>{e.lastErrorAt ? <span class="error">{e.lastErrorCode ?? '?'} · {instantSeconds(e.lastErrorAt)}</span> : '—'}</td>
              <td data-label={t('ops.lag')} class="num">{e.lagSeconds !== null ? duration(e.lagSeconds) : '—'}</td>
              <td data-label={t('ops.counts')}><Counts counts={e.counts} /></td>
              <td data-label={t('ops.openDeadLetters')} class="num">
                {e.openDeadLetters > 0 ? (
                  <a href={href(['ops', 'dead-letters'], { target: c.id, entity: e.entity, direction: e.direction })} aria-label={tf('ops.openDeadLetters.link', { n: count(e.openDeadLetters), entity: labelOf('ops.entity', e.entity) })}>
                    {count(e.openDeadLetters)}
                  </a>
                ) : (
                  '0'
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}

function Counts(props: { counts: Schemas['SyncCounts'] }) {
  const entries = Object.entries(props.counts).filter(([, n]) => typeof n === 'number' && n > 0) as [string, number][];
  if (entries.length === 0) return <span class="muted">—</span>;
  return (
    <ul class="counts">
      {entries.map(([k, n]) => (
        <li key={k} class={k === 'dead_lettered' || k === 'failed' || k === 'conflicts' ? 'warn' : undefined}>
          {labelOf('ops.count', k)} <strong>{count(n)}</strong>
        </li>
      ))}
    </ul>
  );
}

function CheckText(props: { check: Schemas['ConnectorCheck'] | null }) {
  const k = props.check;
  if (!k) return <>{t('ops.check.never')}</>;
  if (k.ok) return <span class="ok">{tf('ops.check.ok', { at: instantSeconds(k.checkedAt) })}</span>;
  return (
    <span class="error">
      {tf('ops.check.failed', { at: instantSeconds(k.checkedAt) })}: <code>{k.error?.code}</code> {k.error?.message}
    </span>
  );
}

/** Runs the connector's check now and shows what it answered. */
function CheckButton(props: { connector: string; onChecked: () => void }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Schemas['ConnectorCheck'] | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const check = async () => {
    setBusy(true);
    setProblem(undefined);
    setResult(undefined);
    const { data, error, response } = await api.POST('/api/v1/sync/connectors/{id}/check', { params: { path: { id: props.connector } } });
    setBusy(false);
    if (data) {
      setResult(data);
      props.onChecked();
    } else setProblem(problemOf(error, response.status));
  };
  return (
    <div class="check">
      <button type="button" class="secondary" disabled={busy} aria-describedby={`check-${props.connector}-result`} onClick={() => void check()}>
        {busy ? t('ops.check.running') : t('ops.check.run')}
      </button>
      <span id={`check-${props.connector}-result`} role="status" data-testid={`check-${props.connector}`}>
        {result && <CheckText check={result} />}
      </span>
      <ProblemNote problem={problem} />
    </div>
  );
}
