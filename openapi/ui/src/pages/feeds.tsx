import { useEffect, useState } from 'preact/hooks';
import { api, problemOf, type Problem, type Schemas } from '../api.js';
import { saveFile } from '../download.js';
import { date, instant, t } from '../i18n.js';
import { go, href } from '../route.js';
import { DataTable, useList } from './table.js';

type Feed = Schemas['Feed'];
type FeedRun = Schemas['FeedRun'];

/**
 * Receivables feeds (admins and AR clerks): the configured feeds, a feed's runs with sequence, count and
 * delivery state, "run now", and the hub's public signing key to verify the files with.
 */
export function FeedsPage(props: { query: URLSearchParams }) {
  const [feeds, setFeeds] = useState<readonly Feed[] | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const selected = props.query.get('feed') ?? feeds?.[0]?.name ?? '';
  useEffect(() => {
    void api.GET('/api/v1/feeds').then(({ data, error, response }) => {
      if (data) setFeeds(data.items);
      else setProblem(problemOf(error, response.status));
    });
  }, []);
  const downloadKey = async () => {
    const { data } = await api.GET('/api/v1/feeds/keys');
    const current = data?.items.find((k) => k.current);
    if (current) saveFile(current.publicKey, `hub-public-${current.id}.pem`, 'application/x-pem-file');
  };
  return (
    <section aria-labelledby="feeds-title">
      <div class="title-row">
        <h1 id="feeds-title">{t('nav.feeds')}</h1>
        <button type="button" class="secondary" onClick={() => void downloadKey()}>{t('feed.publicKey')}</button>
      </div>
      {problem && <p class="error" role="alert">{problem.status === 403 ? t('error.forbidden') : problem.title}</p>}
      {!feeds && !problem && <p role="status">{t('loading')}</p>}
      {feeds && feeds.length === 0 && <p>{t('empty')}</p>}
      {feeds && feeds.length > 0 && (
        <>
          <table class="list">
            <caption class="sr-only">{t('nav.feeds')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('feed.name')}</th>
                <th scope="col">{t('feed.schedule')}</th>
                <th scope="col" class="wide">{t('feed.formats')}</th>
                <th scope="col">{t('feed.lastRun')}</th>
              </tr>
            </thead>
            <tbody>
              {feeds.map((f) => (
                <tr key={f.name} aria-current={f.name === selected ? 'true' : undefined}>
                  <td><a href={href(['feeds'], { feed: f.name })}>{f.name}</a></td>
                  <td>{f.schedule ? `${f.schedule.cron} (${f.schedule.timeZone})` : t('feed.onDemand')}</td>
                  <td class="wide">{f.formats.join(', ')}</td>
                  <td>{f.lastRun ? `#${f.lastRun.sequence ?? '—'} · ${date(f.lastRun.asOf)}` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {selected && <FeedRuns feed={selected} query={props.query} />}
        </>
      )}
    </section>
  );
}

function FeedRuns(props: { feed: string; query: URLSearchParams }) {
  const cursor = props.query.get('cursor') ?? '';
  const [tick, setTick] = useState(0);
  const [running, setRunning] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [done, setDone] = useState<FeedRun | undefined>();
  const list = useList<FeedRun>(() => api.GET('/api/v1/feeds/{id}/runs', { params: { path: { id: props.feed }, query: { limit: 20, ...(cursor ? { cursor } : {}) } } }), [props.feed, cursor, tick]);
  const runNow = async () => {
    setRunning(true);
    setProblem(undefined);
    setDone(undefined);
    try {
      const { data, error, response } = await api.POST('/api/v1/feeds/{id}/run', { params: { path: { id: props.feed } }, body: {} });
      if (data) {
        setDone(data);
        if (cursor) go(['feeds'], { feed: props.feed });
        setTick((n) => n + 1);
      } else setProblem(problemOf(error, response.status));
    } finally {
      setRunning(false);
    }
  };
  const delivery = (r: FeedRun) => [r.delivery.directory ? `${t('feed.folder')}: ${r.delivery.directory.state}` : '', r.delivery.http ? `HTTP: ${r.delivery.http.state}` : ''].filter(Boolean).join(' · ') || '—';
  return (
    <section aria-labelledby="runs-title">
      <div class="title-row">
        <h2 id="runs-title">{t('feed.runs')}: {props.feed}</h2>
        <button type="button" onClick={() => void runNow()} disabled={running}>{running ? t('loading') : t('feed.runNow')}</button>
      </div>
      {done && <p class="notice" role="status">{t('feed.ran')} #{done.sequence} · {done.records} {t('feed.records')}</p>}
      {problem && <p class="error" role="alert">{problem.title}{problem.detail ? ` — ${problem.detail}` : ''}</p>}
      <DataTable
        caption={t('feed.runs')}
        page={list.page}
        problem={list.problem}
        columns={[
          { label: t('feed.sequence'), num: true, render: (r) => (r.sequence === null ? '—' : String(r.sequence)) },
          { label: t('feed.asOf'), render: (r) => date(r.asOf) },
          { label: t('feed.records'), num: true, render: (r) => String(r.records) },
          { label: t('feed.status'), render: (r) => (r.status === 'complete' ? t('feed.complete') : `${t('feed.failed')}${r.message ? `: ${r.message}` : ''}`) },
          { label: t('feed.delivery'), wide: true, render: delivery },
          { label: t('feed.created'), wide: true, render: (r) => `${instant(r.createdAt)} · ${r.createdBy}` },
        ]}
        first={cursor ? href(['feeds'], { feed: props.feed }) : undefined}
        next={list.page?.nextCursor ? href(['feeds'], { feed: props.feed, cursor: list.page.nextCursor }) : undefined}
      />
    </section>
  );
}
