import type { ErrorAnswer, ErrorReading } from '../http/client.js';
import { HttpError } from '../http/client.js';

/**
 * Frappe's error answers (API v1, `frappe/utils/response.py` `report_error` + `_make_logs_v1`):
 *
 * ```json
 * { "exc_type": "MandatoryError", "exception": "frappe.exceptions.MandatoryError: [Customer, None]: customer_name",
 *   "exc": "[\"Traceback …\"]",
 *   "_server_messages": "[\"{\\\"message\\\": \\\"Error: Value missing for Customer: Customer Name\\\", \\\"title\\\": \\\"Message\\\", \\\"indicator\\\": \\\"red\\\", \\\"raise_exception\\\": 1}\"]" }
 * ```
 *
 * The status comes from the exception class (`frappe/exceptions.py`): ValidationError and its
 * subclasses 417 (MandatoryError, UpdateAfterSubmitError, UniqueValidationError, LinkValidationError,
 * RateLimitExceededError …), PermissionError 403, AuthenticationError 401, DoesNotExistError 404,
 * DuplicateEntryError (a NameError) 409, TooManyRequestsError 429. `exception` and `exc` quote record
 * values and tracebacks and are never read; only `exc_type` (an identifier) and, from
 * `_server_messages` / `_error_message`, the sentences of the known templates below.
 */

/** How long to wait on a 417 RateLimitExceededError that names no window (no Retry-After, no X-RateLimit-Reset). */
export const FRAPPE_RATE_LIMIT_WAIT_MS = 60_000;

/** Frappe errors that mean "try again later" although Frappe answers them 417. */
const RETRYABLE_TYPES: Readonly<Record<string, string>> = {
  // frappe/rate_limiter.py `rate_limit` decorator: frappe.throw(…, frappe.RateLimitExceededError).
  RateLimitExceededError: 'rate_limited',
  // Document.queue_action / lock(): "This document is currently queued for execution. Please try again".
  DocumentLockedError: 'locked',
};

/** A doctype name or a field label as Frappe renders it in its messages (never a record value). */
const LABEL = String.raw`[A-Za-z][A-Za-z0-9 ()/&.'_-]{0,79}`;
const ROW = String.raw`(?:Row #\d+: ?)?`;

/**
 * The sentences that are passed on, each built by Frappe from doctype names, field labels and row
 * numbers only; the part after a value is cut. Any other sentence is dropped (its `exc_type` still
 * names the failure): "Could not find Customer: Acme GmbH", "Item W-1 already exists", "Duplicate
 * entry 'C-7' for key …", "… from <b>10</b> to <b>12</b>" all quote record values.
 */
const TEMPLATES: readonly ((text: string) => string | undefined)[] = [
  exact(new RegExp(`^Error: Value missing for ${LABEL}: ${LABEL}$`)),
  exact(new RegExp(`^Error: Data missing in table: ${LABEL}$`)),
  exact(new RegExp(`^Error: ${LABEL} Row #\\d+: Value missing for: ${LABEL}$`)),
  // base_document._validate_update_after_submit: "{Row #n:} Not allowed to change {label} after submission from {old} to {new}".
  cut(new RegExp(`^(${ROW}Not allowed to change ${LABEL} after submission)(?: from .*)?$`)),
  exact(/^Cannot edit cancelled document$/),
  exact(/^Cannot change docstatus from \d \(\w+\) to \d \(\w+\)$/),
  exact(/^You hit the rate limit because of too many requests\. Please try after sometime\.$/),
  exact(new RegExp(`^Insufficient Permission for ${LABEL}$`)),
  exact(new RegExp(`^No permission for ${LABEL}$`)),
  exact(new RegExp(`^${LABEL} must be unique$`)),
  exact(new RegExp(`^Value cannot be negative for ${LABEL}: ${LABEL}$`)),
  exact(new RegExp(`^${LABEL} Row #\\d+: Value cannot be negative for ${LABEL}$`)),
  exact(new RegExp(`^Table ${LABEL} cannot be empty$`)),
  exact(new RegExp(`^Only one ${LABEL} can be set as primary\\.$`)),
  cut(/^(Error: Document has been modified after you have opened it)\b.*$/),
  exact(/^This document is currently queued for execution\. Please try again$/),
];

function exact(re: RegExp): (text: string) => string | undefined {
  return (text) => (re.test(text) ? text : undefined);
}

function cut(re: RegExp): (text: string) => string | undefined {
  return (text) => re.exec(text)?.[1];
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };

/** Frappe's message as text: tags removed (frappe.bold wraps labels and values in `<strong>`), entities decoded. */
export function plainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, e: string) => ENTITIES[e] ?? '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A message passed through the templates: the safe sentence, or undefined (dropped). */
export function safeSentence(message: string): string | undefined {
  const text = plainText(message);
  for (const template of TEMPLATES) {
    const safe = template(text);
    if (safe !== undefined) return safe;
  }
  return undefined;
}

/** The human messages of an error body (`_server_messages`, then `_error_message`), unfiltered. */
export function serverMessages(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const record = body as Record<string, unknown>;
  const out: string[] = [];
  const raw = record['_server_messages'];
  if (typeof raw === 'string') {
    let list: unknown;
    try {
      list = JSON.parse(raw);
    } catch {
      list = [];
    }
    for (const item of Array.isArray(list) ? list : []) {
      if (typeof item !== 'string') continue;
      // Each entry is itself JSON: `{"message": …, "title": …, "indicator": …}` (older sites: a bare string).
      let message: unknown = item;
      try {
        const parsed = JSON.parse(item) as unknown;
        message = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['message'] : parsed;
      } catch {
        // a bare sentence
      }
      if (typeof message === 'string') out.push(message);
    }
  }
  if (typeof record['_error_message'] === 'string') out.push(record['_error_message']);
  return out;
}

/**
 * The safe part of an error body's messages, joined; undefined when none is safe. A sentence that holds
 * a text value of the request body `sent` is dropped as well: a second guard behind the templates, for
 * a site's own validation sentences that happen to fit one.
 */
export function safeDetail(body: unknown, sent?: unknown): string | undefined {
  const values = textValues(sent);
  const sentences = [...new Set(serverMessages(body).map(safeSentence).filter((s): s is string => s !== undefined && !values.some((v) => s.toLowerCase().includes(v))))];
  if (sentences.length === 0) return undefined;
  const joined = sentences.join('; ');
  return joined.length > 300 ? `${joined.slice(0, 297)}...` : joined;
}

function seconds(value: string | null): number | undefined {
  if (value === null || !/^\d{1,7}$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
}

/**
 * Reads a Frappe error answer for the HTTP client: the safe sentences as detail, and a 417
 * RateLimitExceededError (or DocumentLockedError) as retryable, waiting for Retry-After, else the
 * site limiter's X-RateLimit-Reset (seconds left in its window), else FRAPPE_RATE_LIMIT_WAIT_MS.
 */
export function readFrappeError(answer: ErrorAnswer): ErrorReading | undefined {
  const type = typeof answer.body === 'object' && answer.body !== null ? (answer.body as Record<string, unknown>)['exc_type'] : undefined;
  const detail = safeDetail(answer.body, answer.sent);
  const retryable = typeof type === 'string' ? RETRYABLE_TYPES[type] : undefined;
  if (retryable !== undefined) {
    const waitMs = seconds(answer.header('retry-after')) ?? seconds(answer.header('x-ratelimit-reset')) ?? (retryable === 'rate_limited' ? FRAPPE_RATE_LIMIT_WAIT_MS : undefined);
    return { kind: 'retryable', code: retryable, ...(detail === undefined ? {} : { detail }), ...(waitMs === undefined ? {} : { retryAfterMs: waitMs }) };
  }
  return detail === undefined ? undefined : { detail };
}

/** A create that met a document already there: a 409 DuplicateEntryError (its name), or a 417 UniqueValidationError (a unique field). */
export function isFrappeConflict(error: HttpError): boolean {
  return error.httpStatus === 409 || error.errorType === 'DuplicateEntryError' || error.errorType === 'UniqueValidationError';
}

/** Frappe's answer to a change of a submitted document's field that is not `allow_on_submit`. */
export function isUpdateAfterSubmit(error: unknown): error is HttpError {
  return error instanceof HttpError && error.errorType === 'UpdateAfterSubmitError';
}

/** The text values (three characters or more) of a request body, in child rows too. */
export function textValues(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value.trim().length >= 3) out.push(value.trim().toLowerCase());
  } else if (Array.isArray(value)) {
    for (const v of value) textValues(v, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) textValues(v, out);
  }
  return out;
}
