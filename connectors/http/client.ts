import { ConnectorError } from '../contract.js';
import type { FailureKind } from '../contract.js';
import { parseRetryAfter } from './backoff.js';

export { parseRetryAfter } from './backoff.js';

/**
 * A small JSON client over an injected `fetch`. Every failure leaves it as an {@link HttpError} in the
 * contract's terms (retryable / permanent), and no message carries a credential or a body value.
 */

/** The part of a `fetch` response the client reads. */
export interface FetchResponseLike {
  readonly status: number;
  /** `getSetCookie` (undici's Headers) answers each Set-Cookie header apart; `get` joins them with `, `. */
  readonly headers: { get(name: string): string | null; getSetCookie?(): string[] };
  text(): Promise<string>;
}

export interface FetchInitLike {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal: AbortSignal;
}

/** The part of `fetch` the client calls; `globalThis.fetch` fits. */
export type FetchLike = (url: string, init: FetchInitLike) => Promise<FetchResponseLike>;

export type HttpAuth =
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  /** Any scheme the system invents, e.g. ERPNext's `Authorization: token <key>:<secret>`. */
  | { readonly kind: 'header'; readonly name: string; readonly value: string }
  /** Credentials that expire and are renewed: an OAuth2 token, a login session (see {@link AuthSession}). */
  | { readonly kind: 'session'; readonly session: AuthSession };

/**
 * Authentication that is obtained and renewed at run time (an OAuth2 access token, a Service Layer
 * session cookie). The client asks `headers()` before every request; when an answer says the
 * credentials expired (`expired`, default: status 401), it calls `invalidate()` and sends the request
 * once more with fresh headers. A second expiry is the request's failure.
 */
export interface AuthSession {
  /** The headers that authenticate the next request (obtaining a token / logging in when none is held). */
  headers(): Promise<Record<string, string>>;
  /** Whether a failed answer means the held credentials expired. Default: status 401. */
  expired?(status: number, body: unknown): boolean;
  /** Forgets the held credentials, so that the next `headers()` renews them; `rejected` are the headers the server refused. */
  invalidate(rejected: Record<string, string>): void;
}

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface HttpClientOptions {
  /** Scheme, host and optional base path, e.g. `https://erp.example.com`. */
  readonly baseUrl: string;
  readonly auth?: HttpAuth;
  /** Per-request timeout in ms. Default 30000. */
  readonly timeoutMs?: number;
  /** Default `globalThis.fetch`, looked up at call time. */
  readonly fetch?: FetchLike;
  /** Clock for Retry-After dates. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Reads a safe error *type* from an error body (ERPNext: `exc_type`). The default takes the first of
   * `exc_type`, `error`, `code` that looks like an identifier; anything else is dropped, never echoed.
   */
  readonly errorType?: (body: unknown) => string | undefined;
  /**
   * Reads a system's error answer beyond its status (ERPNext: `_server_messages`, a 417
   * `RateLimitExceededError`): a classification that overrides the status's, and a human detail the
   * reader has made safe (no record value, no secret), appended to the message. Default: none.
   */
  readonly readError?: (answer: ErrorAnswer) => ErrorReading | undefined;
}

/** An error answer as `readError` sees it. */
export interface ErrorAnswer {
  readonly status: number;
  /** The parsed JSON body; undefined when it was empty or not JSON. */
  readonly body: unknown;
  readonly header: (name: string) => string | null;
  /** The body the request sent (a reader can make sure no value of it is echoed). */
  readonly sent: unknown;
}

/** What `readError` makes of an error answer; every part optional. */
export interface ErrorReading {
  readonly kind?: FailureKind;
  readonly code?: string;
  /** Safe human text from the system, appended to the message after `: `. */
  readonly detail?: string;
  readonly retryAfterMs?: number;
}

export interface HttpRequest {
  readonly method: HttpMethod;
  /**
   * Path below the base URL; callers encode path segments. An absolute `http(s)://` URL (an OData
   * `@odata.nextLink`, followed verbatim) is sent as it is, but only to the base URL's origin: the
   * credentials never go to another host.
   */
  readonly path: string;
  /** More request headers (`If-Match`, `Prefer` …); they cannot replace the authentication header. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string | number>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Overrides the client's timeout for this request. */
  readonly timeoutMs?: number;
}

export interface HttpResponse {
  readonly status: number;
  /** The parsed JSON body; undefined when the body was empty. */
  readonly body: unknown;
  /** The answer's headers (`ETag`, `Set-Cookie` …). */
  readonly headers: FetchResponseLike['headers'];
}

/** The last throttling answer the client saw, so the queue layer can pause the whole connector. */
export interface RateLimitSignal {
  readonly retryAfterMs: number;
  /** Epoch ms until which the server asked us to wait. */
  readonly untilMs: number;
}

/** A failed HTTP exchange, classified. `httpStatus` is absent for network errors and timeouts. */
export class HttpError extends ConnectorError {
  constructor(
    kind: FailureKind,
    code: string,
    message: string,
    readonly httpStatus?: number,
    readonly errorType?: string,
    retryAfterMs?: number,
    body?: unknown,
  ) {
    super(kind, code, message, retryAfterMs);
    // Not enumerable: a logger or JSON.stringify of the error must not carry the body's values.
    Object.defineProperty(this, 'body', { value: body, enumerable: false });
  }

  /**
   * The parsed error body, for the connector's own classification (an OData `error.code`, SAP's
   * `error.message.value`). It may hold record values: never put it in a message or a log.
   */
  declare readonly body: unknown;
}

const RETRYABLE_STATUS: Readonly<Record<number, string>> = Object.freeze({
  408: 'request_timeout',
  425: 'too_early',
  429: 'rate_limited',
  500: 'server_error',
  502: 'bad_gateway',
  503: 'unavailable',
  504: 'gateway_timeout',
});

const PERMANENT_STATUS: Readonly<Record<number, string>> = Object.freeze({
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  410: 'gone',
  413: 'too_large',
  // ERPNext answers a failed document validation with 417.
  417: 'validation',
  422: 'validation',
});

const SAFE_TYPE = /^[A-Za-z][A-Za-z0-9_.]{0,63}$/;

/**
 * An HTTP(-like) status in the contract's terms: 408/425/429/5xx retryable, every other status
 * permanent, with the same codes the client gives a whole response.
 */
export function classifyStatus(status: number): { readonly kind: FailureKind; readonly code: string } {
  const retryable = RETRYABLE_STATUS[status] ?? (status >= 500 && status <= 599 ? `http_${status}` : undefined);
  if (retryable !== undefined) return { kind: 'retryable', code: retryable };
  return { kind: 'permanent', code: PERMANENT_STATUS[status] ?? `http_${status}` };
}

/**
 * A safe error *type* from an error value: the value itself when it is an identifier-like string, or
 * the first of `exc_type`, `error`, `code`, `type` of an object that is one; anything else is dropped.
 */
export function safeErrorType(value: unknown): string | undefined {
  if (typeof value === 'string') return SAFE_TYPE.test(value) ? value : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const key of ['exc_type', 'error', 'code', 'type']) {
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'string' && SAFE_TYPE.test(v)) return v;
  }
  return undefined;
}

function defaultErrorType(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  for (const key of ['exc_type', 'error', 'code']) {
    const value = record[key];
    if (typeof value === 'string' && SAFE_TYPE.test(value)) return value;
  }
  return undefined;
}

/** The error codes a socket failure can carry that are worth naming; anything else is `network`. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

function networkCode(error: unknown): string | undefined {
  // undici wraps the socket error: TypeError('fetch failed', { cause: { code } }).
  for (let current: unknown = error, depth = 0; current !== null && typeof current === 'object' && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export class HttpClient {
  readonly #baseUrl: string;
  readonly #authHeader: Readonly<Record<string, string>>;
  readonly #session: AuthSession | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: FetchLike;
  readonly #now: () => number;
  readonly #errorType: (body: unknown) => string | undefined;
  readonly #readError: ((answer: ErrorAnswer) => ErrorReading | undefined) | undefined;
  #rateLimit: RateLimitSignal | null = null;

  constructor(options: HttpClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#authHeader = Object.freeze(authHeader(options.auth));
    this.#session = options.auth?.kind === 'session' ? options.auth.session : undefined;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.#now = options.now ?? Date.now;
    this.#errorType = options.errorType ?? defaultErrorType;
    this.#readError = options.readError;
  }

  /** The last Retry-After the server sent (429 / 503), or null if none was seen yet. */
  get rateLimit(): RateLimitSignal | null {
    return this.#rateLimit;
  }

  /** How long the queue layer should still pause for the last Retry-After; 0 when it has passed. */
  pauseRemainingMs(): number {
    return this.#rateLimit === null ? 0 : Math.max(0, this.#rateLimit.untilMs - this.#now());
  }

  /** Sends one JSON request; resolves on 2xx, throws an {@link HttpError} otherwise. */
  async request(request: HttpRequest): Promise<HttpResponse> {
    const session = this.#session;
    if (session === undefined) return this.#send(request, this.#authHeader);
    const auth = await session.headers();
    try {
      return await this.#send(request, auth);
    } catch (error) {
      if (!(error instanceof HttpError) || error.httpStatus === undefined || !(session.expired ?? unauthorized)(error.httpStatus, error.body)) throw error;
      session.invalidate(auth);
      return this.#send(request, await session.headers());
    }
  }

  async #send(request: HttpRequest, auth: Readonly<Record<string, string>>): Promise<HttpResponse> {
    const url = this.#url(request);
    // A request's own headers never stand in for the authentication (whatever their letter case).
    const authNames = new Set(Object.keys(auth).map((k) => k.toLowerCase()));
    const extra = Object.entries(request.headers ?? {}).filter(([k]) => !authNames.has(k.toLowerCase()));
    const headers: Record<string, string> = { Accept: 'application/json', ...Object.fromEntries(extra), ...auth };
    const controller = new AbortController();
    const init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal } = { method: request.method, headers, signal: controller.signal };
    if (request.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(request.body);
    }
    const timeoutMs = request.timeoutMs ?? this.#timeoutMs;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    let status: number;
    let text: string;
    let responseHeaders: FetchResponseLike['headers'];
    try {
      const response = await this.#fetch(url, init);
      status = response.status;
      responseHeaders = response.headers;
      text = await response.text();
    } catch (error) {
      if (timedOut) {
        throw new HttpError('retryable', 'timeout', `${request.method} request timed out after ${timeoutMs} ms`);
      }
      const code = networkCode(error);
      // The error's own message may quote the URL; only the socket code is kept.
      throw new HttpError('retryable', code === 'ECONNRESET' ? 'connection_reset' : 'network', `${request.method} request failed: network error${code === undefined ? '' : ` (${code})`}`);
    } finally {
      clearTimeout(timer);
    }
    const body = parseJson(text);
    if (status >= 200 && status < 300) {
      // A garbled answer (a proxy, a crash mid-answer) says nothing of whether a write was applied: an
      // unknown outcome, tried again (an upsert finds what an applied write made through its key or lookup).
      if (body === invalidJson) throw new HttpError('retryable', 'invalid_response', `${request.method} answered ${status} with a body that is not JSON`, status);
      return { status, body, headers: responseHeaders };
    }
    throw this.#failure(request, status, body === invalidJson ? undefined : body, responseHeaders);
  }

  #failure(request: HttpRequest, status: number, body: unknown, headers: FetchResponseLike['headers']): HttpError {
    const method = request.method;
    const errorType = this.#errorType(body);
    const reading = this.#readError?.({ status, body, header: (name) => headers.get(name), sent: request.body });
    const suffix = `${errorType === undefined ? '' : ` (${errorType})`}${reading?.detail ? `: ${reading.detail}` : ''}`;
    const retryableCode = RETRYABLE_STATUS[status];
    const kind = reading?.kind ?? (retryableCode === undefined ? 'permanent' : 'retryable');
    if (kind === 'retryable') {
      const retryAfterMs = reading?.retryAfterMs ?? parseRetryAfter(headers.get('retry-after'), this.#now());
      if (retryAfterMs !== undefined) this.#rateLimit = { retryAfterMs, untilMs: this.#now() + retryAfterMs };
      return new HttpError('retryable', reading?.code ?? retryableCode ?? `http_${status}`, `${method} answered ${status}${suffix}`, status, errorType, retryAfterMs, body);
    }
    const code = reading?.code ?? PERMANENT_STATUS[status] ?? `http_${status}`;
    return new HttpError('permanent', code, `${method} answered ${status}${suffix}`, status, errorType, undefined, body);
  }

  #url(request: HttpRequest): string {
    if (/^https?:\/\//i.test(request.path)) {
      const url = new URL(request.path);
      if (url.origin !== new URL(this.#baseUrl).origin) throw new HttpError('permanent', 'foreign_link', `${request.method}: the server linked to another origin than the configured base URL; not followed`);
      for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, String(value));
      return url.toString();
    }
    const path = request.path.startsWith('/') ? request.path : `/${request.path}`;
    const url = new URL(this.#baseUrl + path);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, String(value));
    return url.toString();
  }
}

const invalidJson: unique symbol = Symbol('invalid JSON');

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return invalidJson;
  }
}

const unauthorized = (status: number): boolean => status === 401;

function authHeader(auth: HttpAuth | undefined): Record<string, string> {
  if (auth === undefined) return {};
  switch (auth.kind) {
    case 'bearer':
      return { Authorization: `Bearer ${auth.token}` };
    case 'basic':
      return { Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
    case 'header':
      return { [auth.name]: auth.value };
    case 'session':
      return {};
  }
}

/** Creates an {@link HttpClient}. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  return new HttpClient(options);
}
