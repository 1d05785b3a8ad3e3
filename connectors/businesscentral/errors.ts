import { ConnectorError, type FailureKind, type RecordOutcome } from '../contract.js';
import { HttpError, classifyStatus, parseRetryAfter } from '../http/client.js';
import { odataError } from '../http/odata.js';

/**
 * Business Central's error answers, classified. BC answers `{ "error": { "code", "message" } }`, the
 * code naming a category (Microsoft Learn, "Troubleshooting REST API/OData calls", error codes table):
 * `BadRequest_*` a malformed request, `Authentication_*` refused credentials, `Authorization_*` a
 * missing permission, `Internal_*` a server or data-integrity problem, `Application_*` the
 * application's own validation (AL `Error()`), `Request_EntityChanged` (409) a stale `If-Match`.
 *
 * BC's messages often quote record values ("The field No. of table Sales Line contains a value
 * (BOLT-M8) that cannot be found…", "…must be less than or equal to 100 characters. Value: Acme…",
 * "Identification fields and values: No.='C00010'"). The rule (see {@link safeBcMessage}): a message
 * keeps BC's fixed wording only; every part that can carry a value is replaced by `…`.
 */

/** A BC error code as it may appear in a message: `Application_StringExceededLength`, `Unknown`. */
const SAFE_CODE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** Codes that say the server is passing through trouble (retry), whatever the status. */
const RETRYABLE_CODES = new Set(['Internal_ServerError', 'Internal_TenantUnavailable']);

/** Phrases after which BC lists record values up to the end of the sentence or message. */
const VALUE_TAILS = /\b(Identification fields and values:|Value:|Current value is)[^]*$/i;

/** The longest message kept, in characters. */
const MAX_MESSAGE = 300;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every string (and number) in a payload, nested ones included: what a message must never echo. */
export function payloadValues(payload: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof payload === 'string' && payload.trim().length >= 2) out.add(payload.trim());
  else if (typeof payload === 'number' && Number.isFinite(payload)) out.add(String(payload));
  else if (Array.isArray(payload)) for (const v of payload) payloadValues(v, out);
  else if (typeof payload === 'object' && payload !== null) for (const v of Object.values(payload)) payloadValues(v, out);
  return out;
}

/**
 * BC's message with its values removed, so that it can go into a dead letter or a log:
 * 1. every value of the record sent (`values`) is cut out, case-insensitively;
 * 2. the tail after "Identification fields and values:", "Value:" or "Current value is" is cut;
 * 3. quoted text ('…', "…", “…”), parenthesised text and what follows `=` are cut;
 * 4. every word holding a digit, and every all-capital word of two or more characters (BC keeps its
 *    Code fields — numbers, item numbers, location and currency codes — in capitals), is cut.
 * The CorrelationId (a request id, no record value) is kept at the end for support. What is left is
 * BC's own fixed wording ("The field … of table … contains a value (…) that cannot be found in the
 * related table (…)"). A free-text value BC quotes without quotes, capitals or digits, and that the
 * record sent did not hold, would pass: none of BC's documented messages does that.
 */
export function safeBcMessage(raw: string, values: Iterable<string> = []): string {
  const correlation = /CorrelationId:\s*([0-9A-Fa-f-]{8,64})/.exec(raw)?.[1];
  let text = raw.replace(/\s*CorrelationId:[^]*$/i, '');
  const sorted = [...values].filter((v) => v.length >= 2).sort((a, b) => b.length - a.length);
  for (const v of sorted) text = text.replace(new RegExp(escapeRegExp(v), 'gi'), '…');
  text = text.replace(VALUE_TAILS, (_m, phrase: string) => `${phrase} …`);
  text = text.replace(/'(?:[^']|'')*'|"[^"]*"|“[^”]*”|‘[^’]*’/g, '…');
  text = text.replace(/\([^()]*\)/g, '(…)');
  text = text.replace(/=\s*[^\s,;]+?(?=[.,;]?(?:\s|$))/g, '=…');
  text = text
    .split(/(\s+)/)
    .map((word) => {
      const core = word.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
      if (core === '') return word;
      if (/\d/.test(core) || (core.length >= 2 && /^[\p{Lu}0-9_\-/.]+$/u.test(core) && /\p{Lu}/u.test(core))) return word.replace(core, '…');
      return word;
    })
    .join('');
  text = text.replace(/…(\s*…)+/g, '…').replace(/\s+/g, ' ').trim();
  if (text.length > MAX_MESSAGE) text = `${text.slice(0, MAX_MESSAGE - 1)}…`;
  return correlation === undefined ? text : `${text} (CorrelationId ${correlation})`;
}

export interface BcFailure {
  readonly kind: FailureKind;
  /** The contract's code (`validation`, `entity_changed`, `rate_limited` …). */
  readonly code: string;
  /** BC's own error code, when it gave one that looks like a code. */
  readonly bcCode?: string;
  readonly message: string;
  readonly retryAfterMs?: number;
}

/** The contract code for a BC error code (and status). */
function contractCode(status: number, bcCode: string | undefined): { kind: FailureKind; code: string } {
  const byStatus = classifyStatus(status);
  if (bcCode !== undefined && RETRYABLE_CODES.has(bcCode)) return { kind: 'retryable', code: 'server_error' };
  if (byStatus.kind === 'retryable') return byStatus;
  if (status === 409 || status === 412 || bcCode === 'Request_EntityChanged') return { kind: 'retryable', code: 'entity_changed' };
  if (status === 401 || bcCode?.startsWith('Authentication_')) return { kind: 'permanent', code: 'unauthorized' };
  if (status === 403 || bcCode?.startsWith('Authorization_')) return { kind: 'permanent', code: 'forbidden' };
  if (bcCode === 'Internal_EntityWithSameKeyExists') return { kind: 'permanent', code: 'duplicate' };
  if (bcCode === 'Internal_RecordNotFound' || status === 404) return { kind: 'permanent', code: 'not_found' };
  if (bcCode?.startsWith('Application_') || bcCode === 'Internal_InvalidTableRelation' || bcCode === 'Internal_DataNotFoundFilter') return { kind: 'permanent', code: 'validation' };
  if (bcCode?.startsWith('BadRequest')) return { kind: 'permanent', code: 'bad_request' };
  return byStatus;
}

/**
 * A failed BC answer (`status`, its parsed body, its `Retry-After`) in the contract's terms. `what`
 * says what was asked ("customers upsert"); `values` are the record's values, cut from BC's message.
 */
export function bcFailure(what: string, status: number, body: unknown, retryAfter: string | null | undefined, values: Iterable<string> = [], nowMs = Date.now()): BcFailure {
  const error = odataError(body);
  const bcCode = error.code !== undefined && SAFE_CODE.test(error.code) ? error.code : undefined;
  const { kind, code } = contractCode(status, bcCode);
  const detail = error.message === undefined ? '' : `: ${safeBcMessage(error.message, values)}`;
  const message = `Business Central answered ${what} with ${status}${bcCode === undefined ? '' : ` ${bcCode}`}${detail}`;
  const retryAfterMs = kind === 'retryable' ? parseRetryAfter(retryAfter, nowMs) : undefined;
  return { kind, code, ...(bcCode === undefined ? {} : { bcCode }), message, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

/** A thrown failure (an HttpError from the client, or anything else) as a BcFailure. */
export function failureOf(what: string, error: unknown, values: Iterable<string> = []): BcFailure {
  // BC's OData error body (an `error` object); the token endpoint's OAuth answer (`error` a string)
  // keeps the message the OAuth session wrote.
  const bcShaped = error instanceof HttpError && typeof (error.body as { error?: unknown } | undefined)?.error === 'object';
  if (error instanceof HttpError && error.httpStatus !== undefined && error.httpStatus >= 400 && (bcShaped || error.httpStatus === 409 || error.httpStatus === 412)) {
    const failure = bcFailure(what, error.httpStatus, error.body, undefined, values);
    // The client read Retry-After from the answer's headers already.
    return error.retryAfterMs === undefined ? failure : { ...failure, retryAfterMs: error.retryAfterMs };
  }
  if (error instanceof ConnectorError) {
    const code = error.code.replace(/^connector_/, '');
    return { kind: error.kind, code, message: `${what}: ${error.message}`, ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }) };
  }
  return { kind: 'retryable', code: 'internal', message: `${what}: unexpected failure` };
}

export function toConnectorError(failure: BcFailure): ConnectorError {
  return new ConnectorError(failure.kind, failure.code, failure.message, failure.retryAfterMs);
}

export function toOutcome(failure: BcFailure, attempted = true): RecordOutcome {
  return {
    ok: false,
    kind: failure.kind,
    code: failure.code,
    message: failure.message,
    ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
    ...(attempted ? {} : { attempted: false as const }),
  };
}

/**
 * Refused credentials or permissions concern the whole connector, not one record: BC's 401 and 403,
 * and any refusal of the token endpoint (an unknown tenant is its 400 `invalid_request`).
 */
export function isAuthFailure(error: unknown): error is HttpError {
  return error instanceof HttpError && (error.httpStatus === 401 || error.httpStatus === 403 || error.code === 'connector_unauthorized');
}
