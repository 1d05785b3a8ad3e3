import type { ExternalRecord } from '../contract.js';
import { HttpError } from './client.js';

/**
 * OData collection pages, as Business Central (OData v4: `value`, `@odata.nextLink`) and SAP Business
 * One's Service Layer (`value`, `odata.nextLink` in v1 / `@odata.nextLink` in v2) answer them. A next
 * link is followed verbatim (OData v4 §11.2.5.7: clients must not build it themselves); a relative one
 * is resolved against the URL that answered it.
 */
export interface ODataPage {
  readonly records: readonly ExternalRecord[];
  /** Absolute URL of the next page, or null on the last page. */
  readonly nextLink: string | null;
}

/** Reads an OData collection answer; a body without a `value` array is refused (nothing is taken from it). */
export function odataPage(body: unknown, requestUrl: string, what: string): ODataPage {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { value?: unknown }).value)) {
    throw new HttpError('retryable', 'invalid_response', `${what}: the answer has no "value" array`);
  }
  const value = (body as { value: unknown[] }).value;
  if (!value.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row))) {
    throw new HttpError('retryable', 'invalid_response', `${what}: the answer's "value" holds something that is not an object`);
  }
  const record = body as Record<string, unknown>;
  const link = record['@odata.nextLink'] ?? record['odata.nextLink'];
  if (link !== undefined && link !== null && typeof link !== 'string') {
    throw new HttpError('retryable', 'invalid_response', `${what}: the answer's next link is not a string`);
  }
  return { records: value as ExternalRecord[], nextLink: typeof link === 'string' && link !== '' ? new URL(link, requestUrl).toString() : null };
}

/** A string literal in an OData `$filter` (`'O''Brien'`: a quote is doubled, OData ABNF SQUOTE-in-string). */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The `error` of an OData JSON error body: `{ "error": { "code", "message" } }` (v4), `message` possibly `{ lang, value }` (SAP B1, OData v3 JSON verbose). */
export function odataError(body: unknown): { readonly code?: string; readonly message?: string } {
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof error !== 'object' || error === null) return {};
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' || typeof e.code === 'number' ? String(e.code) : undefined;
  const raw = typeof e.message === 'object' && e.message !== null ? (e.message as { value?: unknown }).value : e.message;
  const message = typeof raw === 'string' ? raw : undefined;
  return { ...(code === undefined ? {} : { code }), ...(message === undefined ? {} : { message }) };
}
