import { ConnectorError, type RecordOutcome } from '../contract.js';
import { classifyStatus, HttpError } from '../http/client.js';
import { odataError } from '../http/odata.js';

/**
 * SAP Business One Service Layer errors in the contract's terms. The Service Layer answers
 * `{"error":{"code":-5002,"message":{"lang":"en-us","value":"…"}}}` (v1; newer builds also a string
 * code and a plain `message`, both read by `odataError`). The HTTP status says the class (4xx the
 * record's or the request's own, 5xx / 429 passing), the SAP code which one.
 *
 * What reaches a message: the HTTP status, SAP's code, and SAP's text only where it cannot carry a
 * record value. SAP's texts quote the values they refuse (`Invalid BP code [ORDR.CardCode] , 'C20000'`,
 * `1320000140 - Business partner code 'C1' already assigned …`), so a text is kept only when it is
 * letters, spaces and plain punctuation (no digits, no quotes, at most 160 characters: `Invalid session
 * or session already timeout.`); otherwise only its field references are kept (`[ORDR.CardCode]`,
 * `[DocumentLines.ItemCode][line: 2]`): a table.column name and a line position are not values.
 */

/** SAP's "no matching records found (ODBC -2028)": the addressed record does not exist. */
export const SAP_NOT_FOUND = '-2028';
/** "Invalid session or session already timeout." (with HTTP 401). */
export const SAP_INVALID_SESSION = '301';

const SAFE_TEXT = /^[A-Za-z][A-Za-z ,.;:()/-]{0,159}$/;
const FIELD_REF = /\[(?:[A-Za-z_@][A-Za-z0-9_]{0,63}(?:\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,3}|line: \d{1,6})\]/g;
const SAFE_CODE = /^-?\d{1,12}$/;

/** SAP's code of an error body, when it is a number (as every Service Layer code is). */
export function sapCode(body: unknown): string | undefined {
  const code = odataError(body).code;
  return code !== undefined && SAFE_CODE.test(code) ? code : undefined;
}

/** Every text of a value sent (at any depth), lower case, for the check that SAP's text quotes none. */
function sentTexts(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    const t = value.trim().toLowerCase();
    if (t.length >= 2) out.push(t);
  } else if (Array.isArray(value)) for (const v of value) sentTexts(v, out);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) sentTexts(v, out);
  return out;
}

/**
 * ` (SAP -5002: text)`, ` (SAP -5002 [ORDR.CardCode])`, ` (SAP -5002)` or `` : what a message may say
 * of an error body. `sent`: what the request carried (its body, the key in its path); a text holding
 * any of it (an unquoted name) is not kept.
 */
export function sapSuffix(body: unknown, sent?: unknown): string {
  const code = sapCode(body);
  const text = odataError(body).message?.trim();
  let detail = '';
  if (text !== undefined && text !== '') {
    const lower = text.toLowerCase();
    if (SAFE_TEXT.test(text) && !sentTexts(sent).some((v) => lower.includes(v))) detail = `: ${text}`;
    else {
      const refs = [...new Set(text.match(FIELD_REF) ?? [])].slice(0, 4);
      if (refs.length > 0) detail = ` ${refs.join('')}`;
    }
  }
  if (code === undefined) return detail === '' ? '' : ` (SAP${detail})`;
  return ` (SAP ${code}${detail})`;
}

/** Whether a failure is SAP's "no matching records" for the addressed record. */
export function isNotFound(error: unknown): boolean {
  return error instanceof HttpError && error.httpStatus === 404;
}

/**
 * A failed Service Layer exchange as a ConnectorError whose message names `what` (`PATCH Orders`:
 * never a key), the status, SAP's code and its safe text. 401 here means a second refusal after a
 * fresh login (the client logged in again once already): the connector's, not the record's.
 */
export function sapFailure(error: unknown, what: string, sent?: unknown): ConnectorError {
  if (!(error instanceof HttpError)) {
    if (error instanceof ConnectorError) return error;
    return new ConnectorError('retryable', 'internal', `${what}: unexpected failure`);
  }
  const status = error.httpStatus;
  // Timeouts, network errors, answers that are not JSON: the client's own words are safe already.
  if (status === undefined) return error;
  const suffix = sapSuffix(error.body, sent);
  const code = sapCode(error.body);
  if (status === 401) return new ConnectorError('permanent', 'unauthorized', `${what}: SAP B1 refused the session after a fresh login (HTTP 401${suffix})`);
  if (status === 403) return new ConnectorError('permanent', 'forbidden', `${what}: the SAP B1 user lacks the authorization (HTTP 403${suffix})`);
  const classified = classifyStatus(status);
  if (classified.kind === 'retryable') return new ConnectorError('retryable', classified.code, `${what} answered HTTP ${status}${suffix}`, error.retryAfterMs);
  if (code === SAP_NOT_FOUND) return new ConnectorError('permanent', 'not_found', `${what}: no such record (HTTP ${status}${suffix})`);
  return new ConnectorError('permanent', code === undefined ? classified.code : `sap_${code}`, `${what} was refused: HTTP ${status}${suffix}`);
}

/** A failure as a record's outcome (`connector_` dropped from the code, as the HTTP connector reports it). */
export function outcomeOf(error: ConnectorError): Extract<RecordOutcome, { ok: false }> {
  const code = error.code.replace(/^connector_/, '');
  return error.retryAfterMs === undefined ? { ok: false, kind: error.kind, code, message: error.message } : { ok: false, kind: error.kind, code, message: error.message, retryAfterMs: error.retryAfterMs };
}

/** Errors that concern the connector (its session, its user's rights), not one record: a batch stops on them. */
export function isConnectorWide(error: ConnectorError): boolean {
  const code = error.code.replace(/^connector_/, '');
  return code === 'unauthorized' || code === 'forbidden' || code === 'login_refused' || code === 'company_db' || code === 'not_service_layer' || code === 'user_locked';
}
