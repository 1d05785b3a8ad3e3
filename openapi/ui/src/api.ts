import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from '../../generated/api-types.js';

/**
 * The UI's only way to the hub: the public API, typed from the generated OpenAPI types. The
 * session is the HttpOnly cookie `createSession` sets (openapi/app/session.ts); the page never holds
 * the token. The API sits beside the UI, wherever the hub is mounted.
 */
export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];
export type Principal = Schemas['Principal'];

/** Where the hub is mounted: the page's folder without its trailing slash (`''` at the root). */
export function mountPath(pathname: string = location.pathname): string {
  return pathname.replace(/[^/]*$/, '').replace(/\/$/, '');
}

let onUnauthorized: () => void = () => {};
/** What to do when a call answers 401 (the session ended): the app shows sign-in, keeping the page. */
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

const sessionWatch: Middleware = {
  onResponse({ request, response }) {
    if (response.status === 401 && !request.url.endsWith('/api/v1/auth/session')) onUnauthorized();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: `${location.origin}${mountPath()}`, credentials: 'same-origin' });
api.use(sessionWatch);

/** A problem+json body, whatever came back (a network failure reads as a problem too). */
export function problemOf(error: unknown, status?: number): Problem {
  if (error && typeof error === 'object' && 'title' in error) return error as Problem;
  return { type: 'about:blank', title: status ? `HTTP ${status}` : 'The hub did not answer', status: status ?? 0 } as Problem;
}

/** The field errors of a problem, by JSON pointer under the body (`/name` → `name`). */
export function fieldErrors(problem: Problem | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of problem?.errors ?? []) {
    const field = e.pointer.replace(/^\/(body\/)?/, '').split('/')[0] ?? '';
    out[field] = out[field] ? `${out[field]}; ${e.detail}` : e.detail;
  }
  return out;
}
