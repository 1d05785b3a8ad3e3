import { ConnectorError } from '../contract.js';
import { createHttpClient, HttpError, type AuthSession, type FetchLike, type FetchResponseLike, type HttpClient } from '../http/client.js';
import { sapCode, sapSuffix } from './errors.js';

/**
 * A Service Layer login session as an {@link AuthSession} of the shared HTTP client.
 *
 * `POST <root>/Login` with `{"CompanyDB","UserName","Password"[,"Language"]}` answers
 * `{"odata.metadata":"…$metadata#B1Sessions/@Element","SessionId":"…","Version":"…","SessionTimeout":30}`
 * and two cookies, `B1SESSION=<SessionId>;HttpOnly;` and (behind SAP's load balancer) `ROUTEID=.node1;
 * path=/b1s`. Every later request sends both (`Cookie: B1SESSION=…; ROUTEID=…`): ROUTEID keeps it on the
 * node that holds the session. A session ends after `SessionTimeout` minutes without a request; the
 * Service Layer then answers 401 `{"error":{"code":301,"message":{…"Invalid session or session already
 * timeout."}}}`, on which the client logs in again and sends the request once more. Concurrent requests
 * share one login. `POST <root>/Logout` (204) ends the session on close.
 */
export interface SapSessionOptions {
  /** The Service Layer root, `https://host:50000/b1s/v1`. */
  readonly baseUrl: string;
  readonly companyDb: string;
  readonly userName: string;
  readonly password: string;
  /** Login `Language` (SAP's language code, e.g. 3 for English (US)): the language of SAP's messages. */
  readonly language?: number;
  readonly fetch?: FetchLike;
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

interface Held {
  /** The `Cookie` header value: `B1SESSION=…` and `ROUTEID=…` when the answer set it. */
  readonly cookie: string;
  /** SessionTimeout in ms. */
  readonly timeoutMs: number;
  lastUsed: number;
}

/** A session is renewed before use when it sat idle this close to its timeout (the server may just have dropped it). */
const IDLE_MARGIN_MS = 60_000;

/**
 * The `name=value` of each Set-Cookie header (attributes dropped). A header folded into one line
 * (`a=1;HttpOnly;,b=2; path=/b1s`, as `get` joins them and some proxies send them) is split where a
 * comma starts the next cookie; an `Expires=Wed, 21 Oct …` date has no `=` after its comma.
 */
export function cookiesOf(headers: FetchResponseLike['headers']): Map<string, string> {
  const lines = (headers.getSetCookie?.() ?? [headers.get('set-cookie') ?? '']).flatMap((l) => l.split(/,(?=\s*[A-Za-z0-9_.-]+=)/));
  const out = new Map<string, string>();
  for (const line of lines) {
    const pair = line.split(';', 1)[0]!.trim();
    const eq = pair.indexOf('=');
    if (eq > 0) out.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return out;
}

export class ServiceLayerSession implements AuthSession {
  readonly #client: HttpClient;
  readonly #options: SapSessionOptions;
  readonly #now: () => number;
  #held: Held | null = null;
  #pending: Promise<Held> | null = null;
  /** How many logins were made (for tests and the status). */
  logins = 0;

  constructor(options: SapSessionOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    // Login and Logout carry no session: a client of their own, without the session auth.
    this.#client = createHttpClient({
      baseUrl: options.baseUrl,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      errorType: () => undefined,
    });
  }

  async headers(): Promise<Record<string, string>> {
    const held = this.#held;
    if (held !== null && this.#now() - held.lastUsed < held.timeoutMs - IDLE_MARGIN_MS) {
      held.lastUsed = this.#now();
      return { Cookie: held.cookie };
    }
    if (held !== null && this.#held === held) this.#held = null;
    const fresh = await this.login();
    fresh.lastUsed = this.#now();
    return { Cookie: fresh.cookie };
  }

  /** 401 is how the Service Layer says the session is gone (SAP code 301), whatever the request. */
  expired(status: number, body: unknown): boolean {
    return status === 401 || sapCode(body) === '301';
  }

  invalidate(rejected: Record<string, string>): void {
    // Only the refused session: a concurrent request may have logged in again already.
    if (this.#held !== null && rejected['Cookie'] === this.#held.cookie) this.#held = null;
  }

  /** Logs in (once for all concurrent callers); throws a permanent ConnectorError saying what SAP refused. */
  login(): Promise<Held> {
    this.#pending ??= this.#login().then(
      (held) => {
        this.#held = held;
        this.#pending = null;
        return held;
      },
      (error: unknown) => {
        this.#pending = null;
        throw error;
      },
    );
    return this.#pending;
  }

  async #login(): Promise<Held> {
    const { companyDb, userName, password, language } = this.#options;
    let response;
    try {
      response = await this.#client.request({ method: 'POST', path: '/Login', body: { CompanyDB: companyDb, UserName: userName, Password: password, ...(language === undefined ? {} : { Language: language }) } });
    } catch (error) {
      throw loginFailure(error);
    }
    this.logins++;
    const body = response.body as Record<string, unknown> | undefined;
    const cookies = cookiesOf(response.headers);
    const sessionId = cookies.get('B1SESSION') ?? (typeof body?.['SessionId'] === 'string' ? body['SessionId'] : undefined);
    if (sessionId === undefined || sessionId === '' || /[;\s]/.test(sessionId)) {
      throw new ConnectorError('retryable', 'invalid_response', 'SAP B1 Login answered without a session (no B1SESSION cookie and no SessionId)');
    }
    const route = cookies.get('ROUTEID');
    const minutes = typeof body?.['SessionTimeout'] === 'number' && body['SessionTimeout'] > 0 ? body['SessionTimeout'] : 30;
    return { cookie: `B1SESSION=${sessionId}${route === undefined ? '' : `; ROUTEID=${route}`}`, timeoutMs: minutes * 60_000, lastUsed: this.#now() };
  }

  /** Ends the held session (`POST Logout`, 204); a failure to log out is not the caller's. */
  async logout(): Promise<void> {
    const held = this.#held ?? (await this.#pending?.catch(() => null)) ?? null;
    this.#held = null;
    if (held === null) return;
    await this.#client.request({ method: 'POST', path: '/Logout', headers: { Cookie: held.cookie } }).catch(() => undefined);
  }
}

/**
 * A refused Login in words an operator can act on. SAP's codes, as public Service Layer clients meet
 * them: 100000027 the user name or password, 100000055 a locked user, -304 "Fail to get DB Credentials
 * from SLD" (the company database is not one the System Landscape Directory knows, or its credentials
 * there are wrong). A 404 or 405 means the URL is no Service Layer root; 5xx and network failures pass.
 */
export function loginFailure(error: unknown): ConnectorError {
  if (!(error instanceof HttpError)) return error instanceof ConnectorError ? error : new ConnectorError('retryable', 'internal', 'SAP B1 Login: unexpected failure');
  const status = error.httpStatus;
  if (status === undefined) return new ConnectorError('retryable', error.code.replace(/^connector_/, ''), `SAP B1 Login: ${error.message} (check baseUrl and that the Service Layer runs)`);
  const code = sapCode(error.body);
  const suffix = sapSuffix(error.body);
  if (status === 404 || status === 405) return new ConnectorError('permanent', 'not_service_layer', `SAP B1 Login answered HTTP ${status}: baseUrl is not a Service Layer root (https://<host>:50000/b1s/v1)`);
  if (status === 429 || status >= 500) return new ConnectorError('retryable', status === 429 ? 'rate_limited' : 'unavailable', `SAP B1 Login answered HTTP ${status}${suffix}`, error.retryAfterMs);
  if (code === '100000055') return new ConnectorError('permanent', 'user_locked', `SAP B1 refused the login: the user is locked${suffix} (unlock userName in SAP B1)`);
  if (code === '-304') return new ConnectorError('permanent', 'company_db', `SAP B1 could not open the company database${suffix}: check companyDb and that the company is registered in the System Landscape Directory`);
  if (code === '100000027' || status === 401) return new ConnectorError('permanent', 'login_refused', `SAP B1 refused the login${suffix}: check userName and the password in passwordEnv`);
  return new ConnectorError('permanent', 'login_refused', `SAP B1 Login was refused: HTTP ${status}${suffix} (check companyDb, userName and the password)`);
}
