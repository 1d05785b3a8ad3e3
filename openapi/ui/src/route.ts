import { signal } from './state.js';

/**
 * Hash routes (`#/customers/ID?q=x`): the hub serves one page wherever it is mounted, and a
 * reload or a shared link opens the same view.
 */
export interface Route {
  readonly path: string[];
  readonly query: URLSearchParams;
}

function parse(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = raw.split('?');
  return { path: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

export const route = signal<Route>(parse(location.hash));
addEventListener('hashchange', () => route.set(parse(location.hash)));

export function href(path: readonly string[], query?: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') q.set(k, v);
  const qs = q.toString();
  return `#/${path.map(encodeURIComponent).join('/')}${qs ? `?${qs}` : ''}`;
}

export function go(path: readonly string[], query?: Record<string, string | undefined>): void {
  location.hash = href(path, query);
}
