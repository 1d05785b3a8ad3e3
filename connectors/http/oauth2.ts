import type { AuthSession, FetchLike } from './client.js';
import { HttpError } from './client.js';
import { parseRetryAfter } from './backoff.js';

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4) as an {@link AuthSession}: the token is requested on
 * first use, shared by concurrent requests, renewed `skewMs` before it expires and after the API
 * answers 401. Used by Business Central (Microsoft Entra ID) and any system with a token endpoint.
 *
 * The request is `POST <tokenUrl>` with `application/x-www-form-urlencoded`
 * `grant_type=client_credentials&client_id=…&client_secret=…[&scope=…]` (client_secret_post, RFC 6749
 * §2.3.1; Entra ID's documented form). The answer is `{ access_token, token_type, expires_in }`; an
 * error answer is `{ error, error_description }` (§5.2). Only `error` (a fixed code such as
 * `invalid_client`) and Entra ID's numeric `error_codes` (as `AADSTS7000215`) reach a message: a
 * description may quote the client id. The parsed answer is the HttpError's non-enumerable `body`.
 */
export interface ClientCredentialsOptions {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Space-separated scopes (`https://api.businesscentral.dynamics.com/.default`). */
  readonly scope?: string;
  readonly fetch?: FetchLike;
  readonly now?: () => number;
  /** Per-request timeout of the token request. Default 30000. */
  readonly timeoutMs?: number;
  /** Renew this long before `expires_in` runs out. Default 60000. */
  readonly skewMs?: number;
}

interface Token {
  readonly value: string;
  readonly expiresAt: number;
}

/** RFC 6749 §5.2 error codes that no retry fixes. */
const PERMANENT_ERRORS = new Set(['invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'invalid_request']);

/** The numeric `error_codes` of an Entra ID error answer (at most three), e.g. [90002] for an unknown tenant. */
export function aadstsCodes(body: unknown): number[] {
  const codes = typeof body === 'object' && body !== null ? (body as { error_codes?: unknown }).error_codes : undefined;
  return Array.isArray(codes) ? codes.filter((c): c is number => Number.isSafeInteger(c) && c > 0).slice(0, 3) : [];
}

export function clientCredentials(options: ClientCredentialsOptions): AuthSession & { token(): Promise<string> } {
  const now = options.now ?? Date.now;
  const doFetch: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const skewMs = options.skewMs ?? 60_000;
  let held: Token | null = null;
  let pending: Promise<Token> | null = null;

  async function requestToken(): Promise<Token> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: options.clientId, client_secret: options.clientSecret });
    if (options.scope !== undefined) form.set('scope', options.scope);
    const controller = new AbortController();
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const response = await doFetch(options.tokenUrl, { method: 'POST', headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString(), signal: controller.signal });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      text = await response.text();
    } catch {
      throw new HttpError('retryable', controller.signal.aborted ? 'timeout' : 'network', `The token request ${controller.signal.aborted ? `timed out after ${timeoutMs} ms` : 'failed: network error'}`);
    } finally {
      clearTimeout(timer);
    }
    let body: Record<string, unknown> = {};
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
    } catch {
      // An answer that is not JSON is judged by its status alone.
    }
    if (status >= 200 && status < 300) {
      const value = body['access_token'];
      const expiresIn = Number(body['expires_in'] ?? 3600);
      if (typeof value !== 'string' || value === '' || !Number.isFinite(expiresIn)) throw new HttpError('retryable', 'invalid_response', 'The token endpoint answered without an access_token', status);
      return { value, expiresAt: now() + expiresIn * 1000 };
    }
    const error = typeof body['error'] === 'string' && /^[a-z_]{1,64}$/.test(body['error']) ? body['error'] : undefined;
    // Entra ID's numeric error codes (`error_codes: [7000215]`, AADSTS7000215: invalid secret) are fixed
    // codes, safe to name; the description beside them may quote the client id and is never used.
    const aadsts = aadstsCodes(body);
    const codes = aadsts.length === 0 ? '' : ` (${aadsts.map((c) => `AADSTS${c}`).join(', ')})`;
    if (status === 429 || status >= 500) {
      throw new HttpError('retryable', status === 429 ? 'rate_limited' : 'unavailable', `The token endpoint answered ${status}${error ? ` (${error})` : ''}${codes}`, status, error, parseRetryAfter(retryAfter, now()), body);
    }
    const permanent = error === undefined || PERMANENT_ERRORS.has(error);
    return Promise.reject(new HttpError(permanent ? 'permanent' : 'retryable', 'unauthorized', `The token endpoint refused the client credentials: ${status}${error ? ` ${error}` : ''}${codes} (check the client id, secret, tenant and the app's API permissions)`, status, error, undefined, body));
  }

  async function token(): Promise<string> {
    if (held !== null && held.expiresAt - skewMs > now()) return held.value;
    pending ??= requestToken().finally(() => {
      pending = null;
    });
    held = await pending;
    return held.value;
  }

  return {
    token,
    async headers() {
      return { Authorization: `Bearer ${await token()}` };
    },
    invalidate(rejected) {
      // Only the token that was refused: a concurrent request may have renewed it already.
      if (held !== null && rejected['Authorization'] === `Bearer ${held.value}`) held = null;
    },
  };
}
