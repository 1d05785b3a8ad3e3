import { useRef, useState } from 'preact/hooks';
import { api, problemOf, type Problem, type Schemas } from '../../api.js';
import { instantSeconds, t } from '../../i18n.js';
import { count, duration, localToIso, tf, labelOf } from './format.js';
import { usePoll } from './poll.js';
import { ConfirmDialog, Field, ProblemNote, Scroll } from './shell.js';

/** Backfill runs: the form that starts one, a run's live progress bar with its cancel button, and the recent runs. */

type Run = Schemas['SyncRun'];
const RUN_POLL_MS = 1000;
const live = (run: Run) => run.state === 'queued' || run.state === 'running';

/** A run's progress, read again every second while it is queued or running. */
export function RunProgress(props: { runId: string; initial?: Run | undefined; onFinished?: () => void }) {
  const [run, setRunState] = useState<Run | undefined>(props.initial);
  // Answers can cross (a poll sent before a cancel, answered after it): never go back to an older state.
  const newest = useRef(props.initial?.updatedAt ?? '');
  const setRun = (next: Run) => {
    if (next.updatedAt < newest.current) return;
    newest.current = next.updatedAt;
    setRunState(next);
  };
  const [problem, setProblem] = useState<Problem | undefined>();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  usePoll(
    async () => {
      const { data, error, response } = await api.GET('/api/v1/sync/runs/{id}', { params: { path: { id: props.runId } } });
      if (!data) {
        setProblem(problemOf(error, response.status));
        return response.status !== 404;
      }
      setRun(data);
      if (!live(data)) {
        props.onFinished?.();
        return false;
      }
      return true;
    },
    RUN_POLL_MS,
    [props.runId],
  );
  const cancel = async () => {
    setBusy(true);
    const { data, error, response } = await api.POST('/api/v1/sync/runs/{id}/cancel', { params: { path: { id: props.runId } } });
    setBusy(false);
    setAsking(false);
    if (data) setRun(data);
    else setProblem(problemOf(error, response.status));
  };
  if (!run) return problem ? <ProblemNote problem={problem} /> : <p role="status">{t('loading')}</p>;
  const p = run.progress;
  const label = tf('ops.run.label', { kind: labelOf('ops.run.kind', run.kind), entity: labelOf('ops.entity', run.entity), direction: labelOf('ops.direction', run.direction) });
  const labelId = `run-${run.id}-label`;
  return (
    <div class="run" data-run={run.id} data-state={run.state}>
      <div class="run-head">
        <span id={labelId}>{label}</span>
        <span class={`badge state-${run.state}`}>{labelOf('ops.run.state', run.state)}</span>
        {run.stalled && <span class="badge state-stalled">{t('ops.run.stalled')}</span>}
      </div>
      {p.total !== null ? (
        <progress aria-labelledby={labelId} max={Math.max(p.total, 1)} value={Math.min(p.done, Math.max(p.total, 1))} aria-valuetext={tf('ops.run.ofTotal', { done: count(p.done), total: count(p.total) })} />
      ) : (
        live(run) ? <progress aria-labelledby={labelId} /> : null
      )}
      <p class="run-numbers" role="status">
        <span>{p.total !== null ? tf('ops.run.ofTotal', { done: count(p.done), total: count(p.total) }) : tf('ops.run.done', { done: count(p.done) })}</span>
        {p.percent !== null && <span>{count(p.percent)} %</span>}
        {p.recordsPerSecond !== null && <span>{tf('ops.run.rate', { rate: count(p.recordsPerSecond) })}</span>}
        {live(run) && p.etaSeconds !== null && <span>{tf('ops.run.eta', { eta: duration(p.etaSeconds) })}</span>}
        {run.failed > 0 && <span class="error">{tf('ops.run.failed', { failed: count(run.failed) })}</span>}
      </p>
      {run.message && <p class="muted">{run.message}</p>}
      <ProblemNote problem={problem} />
      {live(run) && (
        <button type="button" class="secondary" onClick={() => setAsking(true)}>{t('ops.run.cancel')}</button>
      )}
      <ConfirmDialog id={`cancel-${run.id}`} open={asking && live(run)} title={t('ops.run.cancelTitle')} confirmLabel={t('ops.run.cancel')} danger busy={busy} onConfirm={() => void cancel()} onClose={() => setAsking(false)}>
        <p>{tf('ops.run.cancelBody', { label })}</p>
      </ConfirmDialog>
    </div>
  );
}

/** Starts a backfill of one of the connector's entities, in a direction it has. */
export function BackfillForm(props: { connector: Schemas['ConnectorStatus']; onStarted: (run: Run) => void }) {
  const entities = [...new Set(props.connector.entities.map((e) => e.entity))];
  const [entity, setEntity] = useState<Schemas['EntityName'] | ''>(entities[0] ?? '');
  const directions = props.connector.entities.filter((e) => e.entity === entity).map((e) => e.direction);
  const [direction, setDirection] = useState<'in' | 'out' | ''>('');
  const [since, setSince] = useState('');
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  if (entities.length === 0) return null;
  const id = `backfill-${props.connector.id}`;
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!entity) return;
    setBusy(true);
    setProblem(undefined);
    const sinceIso = localToIso(since);
    const dir = direction && directions.includes(direction) ? direction : undefined;
    const { data, error, response } = await api.POST('/api/v1/sync/connectors/{id}/backfill', {
      params: { path: { id: props.connector.id } },
      body: { entity, ...(dir ? { direction: dir } : {}), ...(sinceIso ? { since: sinceIso } : {}) },
    });
    setBusy(false);
    if (data) props.onStarted(data);
    else setProblem(problemOf(error, response.status));
  };
  return (
    <form class="backfill" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{t('ops.backfill.title')}</h3>
      <div class="filters">
        <Field label={t('ops.entity')}>
          <select value={entity} onChange={(e) => setEntity(e.currentTarget.value as Schemas['EntityName'])}>
            {entities.map((en) => (
              <option key={en} value={en}>{labelOf('ops.entity', en)}</option>
            ))}
          </select>
        </Field>
        {directions.length > 1 && (
          <Field label={t('ops.direction')}>
            <select value={direction} onChange={(e) => setDirection(e.currentTarget.value as 'in' | 'out' | '')}>
              <option value="">{t('ops.direction.auto')}</option>
              {directions.map((d) => (
                <option key={d} value={d}>{labelOf('ops.direction', d)}</option>
              ))}
            </select>
          </Field>
        )}
        <Field label={t('ops.backfill.since')} hint={t('ops.backfill.sinceHint')}>
          <input type="datetime-local" value={since} onInput={(e) => setSince(e.currentTarget.value)} />
        </Field>
        <button type="submit" disabled={busy}>{t('ops.backfill.start')}</button>
      </div>
      <ProblemNote problem={problem} />
    </form>
  );
}

/** The most recent runs of every connector (the newest first), as the status poll last read them. */
export function RecentRuns(props: { runs: readonly Run[] | undefined }) {
  if (!props.runs) return null;
  return (
    <section aria-labelledby="recent-runs-title">
      <h2 id="recent-runs-title">{t('ops.runs.title')}</h2>
      {props.runs.length === 0 ? (
        <p>{t('empty')}</p>
      ) : (
        <Scroll label={t('ops.runs.title')}>
          <table class="list stack">
            <thead>
              <tr>
                <th scope="col">{t('ops.runs.started')}</th>
                <th scope="col">{t('ops.connector')}</th>
                <th scope="col">{t('ops.runs.what')}</th>
                <th scope="col">{t('ops.state')}</th>
                <th scope="col" class="num">{t('ops.runs.records')}</th>
                <th scope="col">{t('ops.runs.by')}</th>
              </tr>
            </thead>
            <tbody>
              {props.runs.map((r) => (
                <tr key={r.id}>
                  <td data-label={t('ops.runs.started')}>{instantSeconds(r.startedAt ?? r.createdAt)}</td>
                  <td data-label={t('ops.connector')}>{r.connector}</td>
                  <td data-label={t('ops.runs.what')}>{tf('ops.run.label', { kind: labelOf('ops.run.kind', r.kind), entity: labelOf('ops.entity', r.entity), direction: labelOf('ops.direction', r.direction) })}</td>
                  <td data-label={t('ops.state')}><span class={`badge state-${r.state}`}>{labelOf('ops.run.state', r.state)}</span></td>
                  <td data-label={t('ops.runs.records')} class="num">{r.progress.total !== null ? tf('ops.run.ofTotal', { done: count(r.done), total: count(r.progress.total) }) : count(r.done)}</td>
                  <td data-label={t('ops.runs.by')}>{r.createdBy ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
    </section>
  );
}
