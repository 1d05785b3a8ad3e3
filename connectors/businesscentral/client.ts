import { ConnectorError, type ExternalRecord } from '../contract.js';
import { createHttpClient, HttpError, type FetchLike, type HttpClient, type HttpResponse } from '../http/client.js';
import { clientCredentials } from '../http/oauth2.js';
import { odataPage } from '../http/odata.js';

/**
 * Business Central API v2.0 over HTTP: OAuth2 client credentials against Microsoft Entra ID (the
 * token renewed before it expires and once after a 401), OData query strings, server-driven pages and
 * JSON `$batch`. Paths are relative to the API root (`…/api/v2.0`): `companies(<id>)/customers`.
 */

/** The SaaS API root: `https://api.businesscentral.dynamics.com/v2.0/<tenant>/<environment>/api/v2.0`. */
export function saasApiRoot(tenantId: string, environment: string): string {
  return `https://api.businesscentral.dynamics.com/v2.0/${encodeURIComponent(tenantId)}/${encodeURIComponent(environment)}/api/v2.0`;
}

/** Entra ID's token endpoint of a tenant (client credentials, v2.0 endpoint). */
export function entraTokenUrl(tenantId: string): string {
  return `https://login.microsoftonline.com/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
}

/** The scope of an app-only token for Business Central. */
export const BC_SCOPE = 'https://api.businesscentral.dynamics.com/.default';

/** BC online answers at most 20,000 entities a page (operational limits, "Max page size"). */
export const BC_MAX_PAGE_SIZE = 20_000;
/** BC online takes at most 100 operations in one `$batch` ("Max batch size"). */
export const BC_MAX_BATCH = 100;

export interface BcApiOptions {
  /** The API root, `…/api/v2.0` (no trailing slash). */
  readonly apiRoot: string;
  readonly companyId: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope: string;
  readonly timeoutMs?: number;
  readonly fetch?: FetchLike;
}

/**
 * An OData query string: `?$filter=…&$orderby=…` with values percent-encoded (a space as `%20`, never
 * `+`, which OData servers need not read as a space) and the `$`, `,`, `:` and `'` OData uses kept.
 */
export function odataQuery(options: Readonly<Record<string, string | number | undefined>>): string {
  const parts = Object.entries(options)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v)).replace(/%2C/g, ',').replace(/%3A/g, ':').replace(/%24/g, '$')}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/** One operation of a JSON `$batch` request (OData JSON batch format). */
export interface BatchRequest {
  readonly id: string;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the API root: `companies(<id>)/customers(<id>)`. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** One operation's answer, by the request's id. */
export interface BatchResponse {
  readonly id: string;
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

export class BcApi {
  readonly http: HttpClient;
  readonly apiRoot: string;
  readonly #companyId: string;

  constructor(options: BcApiOptions) {
    const session = clientCredentials({
      tokenUrl: options.tokenUrl,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      scope: options.scope,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    this.http = createHttpClient({
      baseUrl: options.apiRoot,
      auth: { kind: 'session', session },
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    });
    this.apiRoot = options.apiRoot.replace(/\/+$/, '');
    this.#companyId = options.companyId;
  }

  /** `companies(<id>)/<path>`, relative to the API root. */
  company(path = ''): string {
    return `companies(${this.#companyId})${path === '' ? '' : `/${path}`}`;
  }

  async get(path: string, pageSize?: number): Promise<HttpResponse> {
    return this.http.request({ method: 'GET', path, ...(pageSize === undefined ? {} : { headers: { Prefer: `odata.maxpagesize=${Math.min(pageSize, BC_MAX_PAGE_SIZE)}` } }) });
  }

  /**
   * One page of a collection: `path` (relative, with its query) or a next link (absolute, followed
   * verbatim). A body without a `value` array of objects, or a next link that is not a string, is
   * refused as a permanent `invalid_response` (nothing of it is used).
   */
  async page(path: string, what: string, pageSize?: number): Promise<{ records: readonly ExternalRecord[]; nextLink: string | null }> {
    const response = await this.get(path, pageSize);
    const url = /^https?:\/\//i.test(path) ? path : `${this.apiRoot}/${path}`;
    try {
      return odataPage(response.body, url, what);
    } catch (error) {
      if (error instanceof HttpError) throw new ConnectorError('permanent', 'invalid_response', `Business Central ${error.message}`);
      throw error;
    }
  }

  /** Every record of a (small) collection, following next links. */
  async all(path: string, what: string): Promise<ExternalRecord[]> {
    const out: ExternalRecord[] = [];
    for (let link: string | null = path, pages = 0; link !== null; pages++) {
      if (pages >= 100) throw new ConnectorError('permanent', 'invalid_response', `Business Central ${what}: more than 100 pages of next links`);
      const page: { records: readonly ExternalRecord[]; nextLink: string | null } = await this.page(link, what);
      out.push(...page.records);
      link = page.nextLink;
    }
    return out;
  }

  /**
   * Sends operations as one JSON `$batch` (`POST <api root>/$batch`, `Prefer: odata.continue-on-error`
   * so that one refused operation does not stop the ones after it) and answers its responses by id.
   * A failed batch request throws (HttpError); an answer without a `responses` array throws a
   * retryable `invalid_response` (the operations may have run: the outcome is unknown).
   */
  async batch(requests: readonly BatchRequest[]): Promise<Map<string, BatchResponse>> {
    if (requests.length > BC_MAX_BATCH) throw new ConnectorError('permanent', 'internal', `a $batch of ${requests.length} operations is over BC's ${BC_MAX_BATCH}`);
    const response = await this.http.request({
      method: 'POST',
      path: '/$batch',
      headers: { Prefer: 'odata.continue-on-error' },
      body: { requests: requests.map((r) => ({ method: r.method, id: r.id, url: r.url, headers: { ...(r.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...r.headers }, ...(r.body === undefined ? {} : { body: r.body }) })) },
    });
    const responses = (response.body as { responses?: unknown } | undefined)?.responses;
    if (!Array.isArray(responses)) throw new ConnectorError('retryable', 'invalid_response', 'Business Central answered the $batch without a responses array');
    const out = new Map<string, BatchResponse>();
    for (const raw of responses as unknown[]) {
      if (typeof raw !== 'object' || raw === null) continue;
      const r = raw as { id?: unknown; status?: unknown; headers?: unknown; body?: unknown };
      if (typeof r.id !== 'string' || typeof r.status !== 'number') continue;
      const headers = Object.fromEntries(Object.entries(typeof r.headers === 'object' && r.headers !== null ? r.headers : {}).filter((e): e is [string, string] => typeof e[1] === 'string').map(([k, v]) => [k.toLowerCase(), v]));
      out.set(r.id, { id: r.id, status: r.status, headers, body: r.body });
    }
    return out;
  }
}
