import { ConnectorError, type ExternalRecord } from '../contract.js';
import type { HttpClient } from '../http/client.js';
import { odataPage, type ODataPage } from '../http/odata.js';
import { sapFailure } from './errors.js';

/**
 * Service Layer list requests: OData query options written as SAP documents them (`$filter=CardType eq
 * 'cCustomer'`, `$orderby=UpdateDate,UpdateTime,CardCode`), the page size asked with `Prefer:
 * odata.maxpagesize=<n>` (the server's default is b1s.conf's PageSize, 20), and the next page taken from
 * the answer's `odata.nextLink` (relative in v1: `BusinessPartners?$filter=…&$skip=20`, resolved against
 * the URL that answered) until an answer has none.
 */

export interface SapContext {
  /** The connector's name, for messages. */
  readonly name: string;
  readonly client: HttpClient;
  /** The Service Layer root without a trailing slash (`https://host:50000/b1s/v1`). */
  readonly root: string;
  /** Rows asked per page (`Prefer: odata.maxpagesize`). */
  readonly pageSize: number;
}

/**
 * `<set>?$filter=…&$orderby=…`: values percent-encoded with a space as `%20` (an OData server reads `+`
 * literally), option names kept as `$filter`.
 */
export function listPath(set: string, options: Readonly<Record<string, string | undefined>>): string {
  const query = Object.entries(options)
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  return query === '' ? set : `${set}?${query}`;
}

/** Filters joined with `and`, each in parentheses when there are several. */
export function allOf(...filters: readonly (string | undefined)[]): string | undefined {
  const parts = filters.filter((f): f is string => f !== undefined && f !== '');
  if (parts.length <= 1) return parts[0];
  return parts.map((f) => `(${f})`).join(' and ');
}

/**
 * One page of a list: `pathOrLink` is a path below the root (`BusinessPartners?$filter=…`) or a next link
 * the previous page gave (absolute, on the root's origin). A 2xx answer that is no OData collection is
 * refused as a permanent `invalid_response` (nothing of it is used; the cursor stays).
 */
export async function getPage(ctx: SapContext, set: string, pathOrLink: string): Promise<ODataPage> {
  const absolute = /^https?:\/\//i.test(pathOrLink);
  const url = absolute ? pathOrLink : `${ctx.root}/${pathOrLink}`;
  let body: unknown;
  try {
    body = (await ctx.client.request({ method: 'GET', path: absolute ? pathOrLink : `/${pathOrLink}`, headers: { Prefer: `odata.maxpagesize=${ctx.pageSize}` } })).body;
  } catch (error) {
    throw sapFailure(error, `${ctx.name}: GET ${set}`);
  }
  try {
    return odataPage(body, url, `${ctx.name} ${set} list`);
  } catch (error) {
    throw new ConnectorError('permanent', 'invalid_response', (error as Error).message);
  }
}

/** Every row of a list (following next links), for small answers such as a lookup; at most `max` rows. */
export async function getAll(ctx: SapContext, set: string, path: string, max: number): Promise<ExternalRecord[]> {
  const rows: ExternalRecord[] = [];
  let next: string | null = path;
  while (next !== null && rows.length < max) {
    const page: ODataPage = await getPage(ctx, set, next);
    rows.push(...page.records);
    next = page.nextLink;
  }
  return rows.slice(0, max);
}

/** `GET <set>/$count?$filter=…`: the Service Layer answers the number alone. */
export async function countOf(ctx: SapContext, set: string, filter: string | undefined): Promise<number> {
  let body: unknown;
  try {
    body = (await ctx.client.request({ method: 'GET', path: `/${listPath(`${set}/$count`, { $filter: filter })}` })).body;
  } catch (error) {
    throw sapFailure(error, `${ctx.name}: GET ${set}/$count`);
  }
  const n = typeof body === 'number' ? body : typeof body === 'string' && /^\d+$/.test(body) ? Number(body) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new ConnectorError('permanent', 'invalid_response', `${ctx.name} ${set} count answer is not a number`);
  return n;
}
