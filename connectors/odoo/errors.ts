import { ConnectorError, type FailureKind, type RecordOutcome } from '../contract.js';

/**
 * Odoo's failures in the contract's terms. Both protocols name the Python exception that ended the
 * call (`error.data.name` in a JSON-RPC answer, `name` in a JSON-2 error body, built by
 * `odoo.http.serialize_exception` as `<module>.<class>`); the class decides, never the words.
 *
 * Sources: odoo/exceptions.py (UserError 422, AccessDenied 403, AccessError 403, MissingError 404,
 * LockError 409, ValidationError a UserError, ConcurrencyError not a UserError), odoo/service/model.py
 * `retrying` (serialization failures, deadlocks and lock timeouts are retried five times inside Odoo,
 * then raised as `psycopg2.errors.SerializationFailure` / `DeadlockDetected` / `LockNotAvailable`; an
 * IntegrityError becomes a ValidationError), odoo/http dispatchers (JSON-RPC: always HTTP 200 with
 * `error`; JSON-2: the status of the exception).
 */

/** An exception Odoo reported: its class name, the message, and the HTTP status (JSON-2) when there was one. */
export interface OdooFault {
  readonly name: string;
  readonly message: string;
  readonly status?: number;
}

/** A failed Odoo call, carrying the fault so a write can report the record's own reason. */
export class OdooCallError extends ConnectorError {
  constructor(
    kind: FailureKind,
    code: string,
    message: string,
    readonly fault?: OdooFault,
    retryAfterMs?: number,
  ) {
    super(kind, code, message, retryAfterMs);
  }
}

/** The configured credentials were refused (JSON-RPC AccessDenied after a fresh login, JSON-2 401). */
export class OdooAuthError extends ConnectorError {
  constructor(message: string) {
    super('permanent', 'unauthorized', message);
  }
}

const RETRYABLE: Readonly<Record<string, string>> = Object.freeze({
  'odoo.exceptions.ConcurrencyError': 'concurrency',
  'odoo.exceptions.LockError': 'concurrency',
  'psycopg2.errors.SerializationFailure': 'concurrency',
  'psycopg2.errors.DeadlockDetected': 'concurrency',
  'psycopg2.errors.LockNotAvailable': 'concurrency',
  'psycopg2.extensions.TransactionRollbackError': 'concurrency',
  'psycopg2.OperationalError': 'database',
  'psycopg2.InterfaceError': 'database',
  'psycopg2.errors.QueryCanceled': 'database',
  'werkzeug.exceptions.TooManyRequests': 'rate_limited',
  'werkzeug.exceptions.ServiceUnavailable': 'unavailable',
});

const PERMANENT: Readonly<Record<string, string>> = Object.freeze({
  'odoo.exceptions.ValidationError': 'validation',
  'odoo.exceptions.UserError': 'refused',
  'odoo.exceptions.RedirectWarning': 'refused',
  // Odoo 8–13's user-facing exceptions (Warning became UserError in 14; except_orm is their base).
  'odoo.exceptions.Warning': 'refused',
  'odoo.exceptions.except_orm': 'refused',
  'odoo.exceptions.MissingError': 'missing',
  'odoo.exceptions.AccessError': 'forbidden',
  'odoo.exceptions.AccessDenied': 'unauthorized',
  'odoo.http.SessionExpiredException': 'unauthorized',
  'werkzeug.exceptions.Unauthorized': 'unauthorized',
  'werkzeug.exceptions.Forbidden': 'forbidden',
  'werkzeug.exceptions.NotFound': 'not_found',
  'werkzeug.exceptions.BadRequest': 'bad_request',
  'werkzeug.exceptions.UnprocessableEntity': 'bad_request',
  // A field or method the database does not have, a value of the wrong type: the call is wrong.
  'builtins.ValueError': 'bad_request',
  'builtins.TypeError': 'bad_request',
  'builtins.KeyError': 'bad_request',
  'builtins.AttributeError': 'bad_request',
});

/**
 * The contract's kind and a stable code for an exception class. An unknown class (an add-on's own
 * exception) is judged by the HTTP status JSON-2 gave it: 4xx is the record's refusal, anything else
 * (and JSON-RPC, whose answers are all 200) a server error, retried.
 */
export function classifyFault(name: string, status?: number): { readonly kind: FailureKind; readonly code: string } {
  const retryable = RETRYABLE[name] ?? (name.startsWith('psycopg2.') ? 'database' : undefined);
  if (retryable !== undefined) return { kind: 'retryable', code: retryable };
  const permanent = PERMANENT[name];
  if (permanent !== undefined) return { kind: 'permanent', code: permanent };
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 425 && status !== 429) return { kind: 'permanent', code: 'refused' };
  return { kind: 'retryable', code: 'server_error' };
}

/** True for the faults that mean the credentials are not (or no longer) good. */
export function isAuthFault(fault: OdooFault): boolean {
  return fault.name === 'odoo.exceptions.AccessDenied' || fault.name === 'odoo.http.SessionExpiredException' || fault.name === 'werkzeug.exceptions.Unauthorized' || fault.status === 401;
}

const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_.]{0,127}$/;

/** Reads a serialized exception (`{ name, message, … }`); the `debug` traceback is never kept. */
export function faultOf(value: unknown, status?: number): OdooFault | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v['name'] !== 'string' || !SAFE_NAME.test(v['name'])) return undefined;
  return { name: v['name'], message: typeof v['message'] === 'string' ? v['message'] : '', ...(status === undefined ? {} : { status }) };
}

/** The failure a fault makes, with a message naming the operation and the exception class only. */
export function faultError(fault: OdooFault, what: string, retryAfterMs?: number): OdooCallError {
  const { kind, code } = classifyFault(fault.name, fault.status);
  const status = fault.status === undefined ? '' : ` with HTTP ${fault.status}`;
  return new OdooCallError(kind, code, `${what} failed${status} (${fault.name})`, fault, retryAfterMs);
}

/**
 * Odoo's own words for a refused record, kept only where they carry no value. Odoo's messages often
 * quote what was sent or stored ("The VAT number [BE0477472702] does not seem valid", an AccessError's
 * "Records: Alpha GmbH (id=7)"), so a message is withheld when it contains any value of the payload
 * (every scalar at any depth, compared without case), a run of three or more digits (amounts,
 * numbers, ids), an `id=` reference or an @ (an email address); what is kept is its first line, at
 * most 200 characters, with every quoted text that is not a technical name (a field, a model) replaced
 * by an ellipsis.
 */
export function safeMessage(message: string, payload: unknown): string | undefined {
  const first = message.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
  if (first === '') return undefined;
  const text = first.length > 200 ? `${first.slice(0, 199)}…` : first;
  const lower = message.toLowerCase();
  if (/\d{3,}/.test(message) || /\bid\s*=/.test(message) || message.includes('@')) return undefined;
  for (const value of scalars(payload)) if (lower.includes(value)) return undefined;
  // Quoted text may name another record (a linked customer the payload holds only by id): only a
  // technical name (a field, a model) stays; anything else quoted becomes an ellipsis.
  return text.replace(/(["“«'‘\[])([^"”»'’\]]*)(["”»'’\]])/g, (all, open: string, inner: string, close: string) => (/^[a-z_][a-z0-9_.]*$/.test(inner) ? all : `${open}…${close}`));
}

function* scalars(value: unknown): Generator<string> {
  if (typeof value === 'string') {
    const t = value.trim().toLowerCase();
    if (t.length >= 2) yield t;
  } else if (typeof value === 'number' && Number.isFinite(value)) {
    const t = String(value);
    if (t.length >= 2) yield t;
  } else if (Array.isArray(value)) {
    for (const v of value) yield* scalars(v);
  } else if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) yield* scalars(v);
  }
}

/** A record's failed outcome from an error a write met. */
export function failedOutcome(error: unknown, payload: unknown): RecordOutcome {
  if (error instanceof OdooCallError && error.fault !== undefined && error.kind === 'permanent') {
    const own = safeMessage(error.fault.message, payload);
    const message = `${error.message}${own === undefined ? ': its message is withheld, as it may quote a record value' : `: ${own}`}`;
    return { ok: false, kind: 'permanent', code: error.code.replace(/^connector_/, ''), message };
  }
  if (error instanceof ConnectorError) {
    const code = error.code.replace(/^connector_/, '');
    return error.retryAfterMs === undefined ? { ok: false, kind: error.kind, code, message: error.message } : { ok: false, kind: error.kind, code, message: error.message, retryAfterMs: error.retryAfterMs };
  }
  return { ok: false, kind: 'retryable', code: 'internal', message: 'Unexpected failure while sending the record' };
}
