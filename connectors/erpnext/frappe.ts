import { ConnectorError } from '../contract.js';
import { HttpError, type HttpClient } from '../http/client.js';
import { isFrappeConflict } from './errors.js';

/**
 * The few document calls of Frappe's REST API (frappe/api/v1.py) the ERPNext write flows need, over
 * the connector's HTTP client: read a document whole, create, update, find by a field, call a
 * whitelisted method. Every answer is checked for the document it must carry.
 */

/** A Frappe document as the API answers it (child tables as arrays of rows). */
export type FrappeDoc = Record<string, unknown> & { readonly name: string };

/** A child row as read: its `name` identifies it within Frappe (other documents link to it). */
export type FrappeRow = Record<string, unknown>;

export function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

export function rows(value: unknown): FrappeRow[] {
  return Array.isArray(value) ? value.filter((r): r is FrappeRow => typeof r === 'object' && r !== null && !Array.isArray(r)) : [];
}

export class FrappeDocs {
  constructor(
    private readonly client: HttpClient,
    private readonly connector: string,
  ) {}

  path(doctype: string, name?: string): string {
    return `/api/resource/${encodeURIComponent(doctype)}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
  }

  /** `GET /api/resource/<doctype>/<name>`: the whole document (child tables included); undefined on 404. */
  async get(doctype: string, name: string): Promise<FrappeDoc | undefined> {
    try {
      const response = await this.client.request({ method: 'GET', path: this.path(doctype, name) });
      return this.doc(doctype, response.body, 'permanent');
    } catch (error) {
      if (error instanceof HttpError && error.httpStatus === 404) return undefined;
      throw error;
    }
  }

  /** `PUT /api/resource/<doctype>/<name>`: Frappe applies the fields sent (a child table sent is replaced whole). */
  async put(doctype: string, name: string, body: Record<string, unknown>): Promise<FrappeDoc> {
    const response = await this.client.request({ method: 'PUT', path: this.path(doctype, name), body });
    return this.doc(doctype, response.body, 'retryable');
  }

  /** `POST /api/resource/<doctype>`: inserts (and with `docstatus: 1`, submits) a new document. */
  async post(doctype: string, body: Record<string, unknown>): Promise<FrappeDoc> {
    const response = await this.client.request({ method: 'POST', path: this.path(doctype), body });
    return this.doc(doctype, response.body, 'retryable');
  }

  /** `POST /api/method/<method>` with a JSON body; answers `{ "message": … }`. */
  async call(method: string, body: Record<string, unknown>): Promise<unknown> {
    const response = await this.client.request({ method: 'POST', path: `/api/method/${method}`, body });
    return (response.body as Record<string, unknown> | undefined)?.['message'];
  }

  /**
   * The one document whose `field` equals `value` under the extra `filters` (`[[field, "=", value]]`,
   * at most two asked for); undefined when none. Rows that do not show the value (a server ignoring
   * the filter) never count; two are a permanent `ambiguous_lookup`.
   */
  async find(doctype: string, field: string, value: string, filters: readonly (readonly unknown[])[] = []): Promise<string | undefined> {
    const response = await this.client.request({
      method: 'GET',
      path: this.path(doctype),
      query: { filters: JSON.stringify([[field, '=', value], ...filters]), fields: JSON.stringify(['name', field]), limit_page_length: '2' },
    });
    const data = (response.body as Record<string, unknown> | undefined)?.['data'];
    if (!Array.isArray(data)) throw new ConnectorError('retryable', 'invalid_response', `${this.connector} lookup answer has no rows array`);
    const names = [...new Set(rows(data).filter((r) => text(r[field]) === value).map((r) => text(r['name'])).filter((n): n is string => n !== undefined))];
    if (names.length > 1) throw new ConnectorError('permanent', 'ambiguous_lookup', `${this.connector} holds ${names.length} ${doctype} documents with the same ${field}; resolve them there`);
    return names[0];
  }

  /**
   * Creates, and when Frappe answers that the document is already there (a create whose answer was
   * lost, a concurrent one: 409 DuplicateEntryError, 417 UniqueValidationError), finds it with `refind`
   * and updates it instead.
   */
  async create(doctype: string, body: Record<string, unknown>, refind: () => Promise<string | undefined>, update: (name: string) => Promise<FrappeDoc>): Promise<FrappeDoc> {
    try {
      return await this.post(doctype, body);
    } catch (error) {
      if (!(error instanceof HttpError && isFrappeConflict(error))) throw error;
      const found = await refind();
      if (found === undefined) throw error;
      return update(found);
    }
  }

  private doc(doctype: string, body: unknown, kind: 'retryable' | 'permanent'): FrappeDoc {
    const data = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['data'] : undefined;
    if (typeof data !== 'object' || data === null || Array.isArray(data) || text((data as Record<string, unknown>)['name']) === undefined) {
      // After a write the document may well have been saved: retried, the lookup finds it.
      throw new ConnectorError(kind, kind === 'retryable' ? 'unknown_outcome' : 'invalid_response', `${this.connector} ${doctype} answer names no document`);
    }
    return data as FrappeDoc;
  }
}
