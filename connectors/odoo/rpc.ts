import { AsyncLocalStorage } from 'node:async_hooks';
import { createHttpClient, HttpError, type FetchLike, type HttpClient } from '../http/client.js';
import { faultError, faultOf, isAuthFault, OdooAuthError, OdooCallError, type OdooFault } from './errors.js';

/**
 * The two ways to call Odoo's ORM from outside, behind one `call`:
 *
 * - JSON-RPC (`POST /jsonrpc`, Odoo 8–19; deprecated in 19, removed in 22): `common.login(db, login,
 *   password)` answers the user id, or `false` for wrong credentials; then every call is
 *   `object.execute_kw(db, uid, password, model, method, args, kwargs)`. Errors come with HTTP 200 as
 *   `{"jsonrpc": "2.0", "id": n, "error": {"code": 200, "message": "Odoo Server Error", "data": {"name":
 *   "odoo.exceptions.AccessError", "message": …, "arguments": […], "context": {}, "debug": "<traceback>"}}}`
 *   (odoo/http.py JsonRPCDispatcher.handle_error, odoo/service/model.py).
 * - JSON-2 (`POST /json/2/<model>/<method>`, Odoo 19+): `Authorization: bearer <API key>`, optional
 *   `X-Odoo-Database`; the body holds the named arguments plus `ids` and `context`; the answer is the
 *   method's JSON value; an error is an HTTP 4xx/5xx with `{"name", "message", "arguments", "context",
 *   "debug"}` (addons/rpc/controllers/json2.py, Json2Dispatcher.handle_error; 401 for a bad key).
 *
 * A call's arguments are named once: `args` are the method's leading parameters in order (sent
 * positionally by JSON-RPC, as Odoo's external API documentation does, and by name by JSON-2),
 * `kwargs` the rest. `debug` (a traceback that can quote values) is never read.
 */

export const ODOO_PROTOCOLS = ['jsonrpc', 'json2'] as const;
export type OdooProtocol = (typeof ODOO_PROTOCOLS)[number];

export interface OdooCall {
  readonly model: string;
  readonly method: string;
  /** The records the method runs on (absent for `@api.model` methods such as search_read and create). */
  readonly ids?: readonly number[];
  /** Leading parameters, in the method's order: positional in JSON-RPC, named in JSON-2. */
  readonly args?: Readonly<Record<string, unknown>>;
  readonly kwargs?: Readonly<Record<string, unknown>>;
  readonly context?: Readonly<Record<string, unknown>>;
}

export interface OdooRpc {
  readonly protocol: OdooProtocol;
  /** Calls a model method; throws an OdooCallError (classified), an OdooAuthError or an HttpError. */
  call(call: OdooCall): Promise<unknown>;
  /** Authenticates without calling a model (JSON-RPC: a fresh login; JSON-2: nothing to do). */
  authenticate(): Promise<void>;
  /** The last Retry-After the server sent, for the queue layer. */
  pauseRemainingMs(): number;
}

export interface OdooRpcOptions {
  readonly protocol: OdooProtocol;
  readonly baseUrl: string;
  /** The database: required by JSON-RPC, sent as X-Odoo-Database by JSON-2 when given. */
  readonly database?: string;
  /** JSON-RPC: the user's login and password (or an API key in its place). */
  readonly login?: string;
  readonly password?: string;
  /** JSON-2: the API key. */
  readonly apiKey?: string;
  readonly timeoutMs?: number;
  readonly fetch?: FetchLike;
}

/** The path JSON-RPC posts to. */
export const JSONRPC_PATH = '/jsonrpc';
/** The JSON-2 path of a model method. */
export const json2Path = (model: string, method: string) => `/json/2/${encodeURIComponent(model)}/${encodeURIComponent(method)}`;

export function createOdooRpc(options: OdooRpcOptions): OdooRpc {
  return options.protocol === 'json2' ? json2(options) : jsonRpc(options);
}

function what(call: OdooCall): string {
  return `${call.model}.${call.method}`;
}

function jsonRpc(options: OdooRpcOptions): OdooRpc {
  const database = options.database ?? '';
  const login = options.login ?? '';
  const password = options.password ?? '';
  const client = createHttpClient({ baseUrl: options.baseUrl, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }), ...(options.fetch === undefined ? {} : { fetch: options.fetch }) });
  let nextId = 0;
  let uid: number | null = null;

  /** One JSON-RPC exchange: the `result`, or the `error` as a fault. */
  async function rpc(service: string, method: string, args: readonly unknown[], label: string): Promise<{ result: unknown } | { fault: OdooFault }> {
    const id = ++nextId;
    const { body } = await client.request({ method: 'POST', path: JSONRPC_PATH, body: { jsonrpc: '2.0', method: 'call', params: { service, method, args }, id } });
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OdooCallError('permanent', 'invalid_response', `${label}: the JSON-RPC answer is not an object`);
    const envelope = body as Record<string, unknown>;
    if ('error' in envelope && envelope['error'] !== null && envelope['error'] !== undefined) {
      const error = envelope['error'] as Record<string, unknown>;
      const fault = faultOf(error['data']);
      if (fault) return { fault };
      // Odoo's 404 for an unknown route comes as { code: 404, message: "404: Not Found" }.
      const code = typeof error['code'] === 'number' ? error['code'] : undefined;
      throw new OdooCallError('permanent', code === 404 ? 'not_found' : 'invalid_response', `${label}: JSON-RPC error${code === undefined ? '' : ` ${code}`} without an exception name`);
    }
    if (!('result' in envelope)) throw new OdooCallError('permanent', 'invalid_response', `${label}: the JSON-RPC answer has neither result nor error`);
    return { result: envelope['result'] };
  }

  async function authenticate(): Promise<number> {
    const answer = await rpc('common', 'login', [database, login, password], 'common.login');
    if ('fault' in answer) {
      if (isAuthFault(answer.fault)) throw new OdooAuthError('Odoo refused the login: wrong credentials');
      throw faultError(answer.fault, 'common.login');
    }
    // A failed login is not an error in Odoo: common.login answers false.
    if (answer.result === false) throw new OdooAuthError('Odoo refused the login: wrong credentials (common.login answered false)');
    if (typeof answer.result !== 'number' || !Number.isSafeInteger(answer.result) || answer.result <= 0) throw new OdooCallError('permanent', 'invalid_response', 'common.login answered something other than a user id');
    uid = answer.result;
    return uid;
  }

  async function execute(call: OdooCall, user: number): Promise<{ result: unknown } | { fault: OdooFault }> {
    const positional = [...(call.ids === undefined ? [] : [call.ids]), ...Object.values(call.args ?? {})];
    const kwargs = { ...(call.kwargs ?? {}), ...(call.context === undefined ? {} : { context: call.context }) };
    return rpc('object', 'execute_kw', [database, user, password, call.model, call.method, positional, kwargs], what(call));
  }

  return {
    protocol: 'jsonrpc',
    async call(call) {
      let answer = await execute(call, uid ?? (await authenticate()));
      if ('fault' in answer && isAuthFault(answer.fault)) {
        // The password or key may have changed, or the user id gone stale: log in again, once.
        answer = await execute(call, await authenticate());
        if ('fault' in answer && isAuthFault(answer.fault)) throw new OdooAuthError(`Odoo refused ${what(call)} after a fresh login (${answer.fault.name})`);
      }
      if ('fault' in answer) throw faultError(answer.fault, what(call));
      return answer.result;
    },
    async authenticate() {
      await authenticate();
    },
    pauseRemainingMs: () => client.pauseRemainingMs(),
  };
}

function json2(options: OdooRpcOptions): OdooRpc {
  const slot = new AsyncLocalStorage<{ body?: unknown }>();
  const base: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const database = options.database;
  // The HttpClient sends one auth header; the database header rides on the fetch it is given.
  const fetch: FetchLike = database === undefined ? base : (url, init) => base(url, { ...init, headers: { ...init.headers, 'X-Odoo-Database': database } });
  const client: HttpClient = createHttpClient({
    baseUrl: options.baseUrl,
    // As Odoo documents it: `Authorization: bearer <key>` (the scheme is matched without case).
    auth: { kind: 'header', name: 'Authorization', value: `bearer ${options.apiKey ?? ''}` },
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    fetch,
    // The error body is kept for this call only (its name and message); never echoed by the client.
    errorType: (body) => {
      const store = slot.getStore();
      if (store) store.body = body;
      return faultOf(body)?.name;
    },
  });
  return {
    protocol: 'json2',
    async call(call) {
      const body = { ...(call.ids === undefined ? {} : { ids: call.ids }), ...(call.context === undefined ? {} : { context: call.context }), ...(call.args ?? {}), ...(call.kwargs ?? {}) };
      const store: { body?: unknown } = {};
      let answer: unknown;
      try {
        answer = (await slot.run(store, () => client.request({ method: 'POST', path: json2Path(call.model, call.method), body }))).body;
      } catch (error) {
        if (!(error instanceof HttpError) || error.httpStatus === undefined) throw error;
        if (error.httpStatus === 401) throw new OdooAuthError(`Odoo refused the API key (HTTP 401 on ${what(call)})`);
        const fault = faultOf(store.body, error.httpStatus);
        if (fault === undefined) throw error;
        if (fault.name === 'odoo.exceptions.AccessDenied') throw new OdooAuthError(`Odoo refused the API key (${fault.name} on ${what(call)})`);
        throw faultError(fault, what(call), error.retryAfterMs);
      }
      // Before 19, Odoo has no /json/2 route and answers a JSON request to an unknown path the JSON-RPC
      // way: HTTP 200 with { jsonrpc, error: { code: 404 } }.
      if (typeof answer === 'object' && answer !== null && !Array.isArray(answer) && 'jsonrpc' in answer && 'error' in answer) {
        const fault = faultOf((answer as { error?: { data?: unknown } }).error?.data);
        throw new OdooCallError('permanent', 'not_found', `${what(call)}: Odoo answered with a JSON-RPC error, not JSON-2`, fault ?? { name: 'werkzeug.exceptions.NotFound', message: '' });
      }
      return answer;
    },
    async authenticate() {
      // The key is checked on each call; there is no session to open.
    },
    pauseRemainingMs: () => client.pauseRemainingMs(),
  };
}
