import type { Request } from 'express';
import { ForbiddenError, UnauthorizedError } from '../../core/errors.js';

/**
 * The browser session of the built-in web UI: the login token travels in an HttpOnly cookie, so
 * script in the page (injected or not) can never read it, and it is never put in a URL or in
 * localStorage. SameSite=Strict keeps other sites' pages from sending it, and a request that
 * authenticates with the cookie and changes something must come from the hub's own origin (the
 * Origin header browsers attach to every cross-site write), which stops cross-site request forgery
 * even in a browser that ignores SameSite. API clients keep using `Authorization: Bearer`.
 */
export const SESSION_COOKIE = 'hub_session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The session token in the request's cookie, if any. Several `hub_session` cookies (one planted for a
 * longer path or a parent domain beside the user's own) are refused: the hub will not guess which
 * account the user meant to act as.
 */
export function sessionCookie(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (value !== '') values.push(value);
  }
  if (values.length > 1) throw new UnauthorizedError('The request carries several session cookies; sign out and in again');
  return values[0];
}

/** Refuses a cookie-authenticated write whose Origin is not the hub's own (a cross-site request). */
export function checkSameOrigin(req: Request): void {
  if (SAFE_METHODS.has(req.method)) return;
  const origin = req.headers.origin;
  const fetchSite = req.headers['sec-fetch-site'];
  if (fetchSite === 'cross-site' || fetchSite === 'same-site') throw new ForbiddenError('A request signed in with the session cookie must come from the hub\'s own pages');
  if (origin === undefined) return; // not a browser's cross-origin request: browsers send Origin on every cross-origin write
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new ForbiddenError('A request signed in with the session cookie must come from the hub\'s own pages');
  }
  // The host the client addressed (X-Forwarded-Host only from a trusted proxy: router.ts), default ports aside.
  const own = (req.hubHost ?? req.headers.host ?? '').replace(/:(80|443)$/, '');
  if (host.replace(/:(80|443)$/, '') !== own) throw new ForbiddenError('A request signed in with the session cookie must come from the hub\'s own pages');
}

/**
 * A second cookie, readable by the page and holding no secret, says that a session cookie was set:
 * the page asks who is signed in only then, instead of provoking a 401 on every visit.
 */
export const SIGNED_IN_COOKIE = 'hub_signed_in';

/** The Set-Cookie values that keep `token` until `expiresAt`, for pages under `path`. */
export function sessionSetCookie(token: string, expiresAt: string, path: string, secure: boolean): string[] {
  const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000));
  const attributes = `Path=${path}; Max-Age=${maxAge}; SameSite=Strict${secure ? '; Secure' : ''}`;
  return [`${SESSION_COOKIE}=${token}; ${attributes}; HttpOnly`, `${SIGNED_IN_COOKIE}=1; ${attributes}`];
}

/** The Set-Cookie values that end the browser session. */
export function sessionClearCookie(path: string, secure: boolean): string[] {
  const attributes = `Path=${path}; Max-Age=0; SameSite=Strict${secure ? '; Secure' : ''}`;
  return [`${SESSION_COOKIE}=; ${attributes}; HttpOnly`, `${SIGNED_IN_COOKIE}=; ${attributes}`];
}
