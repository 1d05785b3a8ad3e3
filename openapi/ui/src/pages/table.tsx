import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { problemOf, type Problem } from '../api.js';
import { t } from '../i18n.js';

/** One page of a server-paged list. */
export interface ListPage<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** A call of the typed client that answers a list: `{ data }` or `{ error, response }`. */
export type ListCall<T> = () => Promise<{ data?: ListPage<T> | undefined; error?: unknown; response: Response }>;

/** Loads a list page whenever `deps` change; a later answer never overwrites a newer one. */
export function useList<T>(call: ListCall<T>, deps: readonly unknown[]): { page?: ListPage<T> | undefined; problem?: Problem | undefined; reload: () => void } {
  const [page, setPage] = useState<ListPage<T> | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setPage(undefined);
    setProblem(undefined);
    call().then(
      ({ data, error, response }) => {
        if (!live) return;
        if (data) setPage(data);
        else setProblem(problemOf(error, response.status));
      },
      (err: unknown) => live && setProblem(problemOf(err)),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return { page, problem, reload: () => setTick((n) => n + 1) };
}

export interface Column<T> {
  readonly label: string;
  readonly render: (row: T) => ComponentChildren;
  readonly num?: boolean;
  /** Hidden on narrow (phone) screens. */
  readonly wide?: boolean;
}

export function DataTable<T extends { id: string }>(props: { caption: string; columns: readonly Column<T>[]; page?: ListPage<T> | undefined; problem?: Problem | undefined; next?: string | undefined; first?: string | undefined }) {
  const { page, problem } = props;
  return (
    <div class="table-wrap">
      {problem && <p class="error" role="alert">{problem.status === 403 ? t('error.forbidden') : problem.title}{problem.detail ? ` — ${problem.detail}` : ''}</p>}
      {!page && !problem && <p role="status">{t('loading')}</p>}
      {page && page.items.length === 0 && <p>{t('empty')}</p>}
      {page && page.items.length > 0 && (
        <table class="list">
          <caption class="sr-only">{props.caption}</caption>
          <thead>
            <tr>
              {props.columns.map((c) => (
                <th scope="col" key={c.label} class={[c.num ? 'num' : '', c.wide ? 'wide' : ''].join(' ').trim() || undefined}>{c.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {page.items.map((row) => (
              <tr key={row.id}>
                {props.columns.map((c) => (
                  <td key={c.label} class={[c.num ? 'num' : '', c.wide ? 'wide' : ''].join(' ').trim() || undefined}>{c.render(row)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(props.first || props.next) && (
        <nav class="pager" aria-label={t('page.nav')}>
          {props.first && <a href={props.first}>{t('page.first')}</a>}
          {props.next && <a href={props.next}>{t('page.next')}</a>}
        </nav>
      )}
    </div>
  );
}
