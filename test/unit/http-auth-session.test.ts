import { describe, expect, it } from 'vitest';
import { createHttpClient, HttpError, type FetchInitLike, type FetchLike } from '../../connectors/http/client.js';
import { clientCredentials } from '../../connectors/http/oauth2.js';
import { odataError, odataPage, odataString } from '../../connectors/http/odata.js';

/** Shared HTTP pieces for systems whose credentials expire: session auth, OAuth2 client credentials, OData paging. */

interface Call {
  readonly url: string;
  readonly init: FetchInitLike;
}

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  return { status, headers: { get: (name: string) => headers[name.toLowerCase()] ?? null }, text: async () => (body === undefined ? '' : JSON.stringify(body)) };
}

function scripted(handler: (call: Call, n: number) => ReturnType<typeof answer>): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      calls.push({ url, init });
      return handler({ url, init }, calls.length);
    },
  };
}

const TOKEN_URL = 'https://login.example/tenant/oauth2/v2.0/token';

describe('OAuth2 client credentials', () => {
  it('posts the documented form once, shares the token, renews it before expiry and after a 401', async () => {
    let clock = 1_000_000;
    let issued = 0;
    const api = scripted(({ url, init }) => {
      if (url === TOKEN_URL) {
        issued++;
        return answer(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: `tok${issued}` });
      }
      // The API refuses the first token once (revoked), accepts the next.
      return init.headers['Authorization'] === 'Bearer tok1' && issued === 1 && url.endsWith('/refuse') ? answer(401, { error: { code: 'Authentication_InvalidCredentials', message: 'The credentials provided are incorrect' } }) : answer(200, { value: [] });
    });
    const session = clientCredentials({ tokenUrl: TOKEN_URL, clientId: 'app-id', clientSecret: 's3cret', scope: 'https://api.businesscentral.dynamics.com/.default', fetch: api.fetch, now: () => clock });
    const client = createHttpClient({ baseUrl: 'https://api.example/v2.0', auth: { kind: 'session', session }, fetch: api.fetch });

    await Promise.all([client.request({ method: 'GET', path: '/a' }), client.request({ method: 'GET', path: '/b' })]);
    const tokenCalls = api.calls.filter((c) => c.url === TOKEN_URL);
    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]!.init.method).toBe('POST');
    expect(tokenCalls[0]!.init.headers['Content-Type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(tokenCalls[0]!.init.body))).toEqual({ grant_type: 'client_credentials', client_id: 'app-id', client_secret: 's3cret', scope: 'https://api.businesscentral.dynamics.com/.default' });

    // A 401 renews the token and sends the request once more.
    const res = await client.request({ method: 'GET', path: '/refuse' });
    expect(res.status).toBe(200);
    expect(issued).toBe(2);
    expect(api.calls.at(-1)!.init.headers['Authorization']).toBe('Bearer tok2');

    // Within a minute of expiry the token is renewed before use.
    clock += 3599_000 - 30_000;
    await client.request({ method: 'GET', path: '/c' });
    expect(issued).toBe(3);
  });

  it('a refused client is a permanent unauthorized error naming only the OAuth error code', async () => {
    const api = scripted(() => answer(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent is the client secret value for app app-id.', error_codes: [7000215] }));
    const session = clientCredentials({ tokenUrl: TOKEN_URL, clientId: 'app-id', clientSecret: 'wrong', fetch: api.fetch });
    const error = await session.token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_unauthorized', httpStatus: 401 });
    expect((error as Error).message).toContain('invalid_client');
    expect((error as Error).message).not.toContain('app-id');
    expect((error as Error).message).not.toContain('wrong');
  });

  it('a throttled or failing token endpoint is retryable, with its Retry-After', async () => {
    const api = scripted(() => answer(429, { error: 'temporarily_unavailable' }, { 'retry-after': '7' }));
    const error = await clientCredentials({ tokenUrl: TOKEN_URL, clientId: 'a', clientSecret: 'b', fetch: api.fetch }).token().catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'retryable', retryAfterMs: 7000 });
  });

  it('a second 401 after renewal is the request failure (no loop)', async () => {
    let tokens = 0;
    const api = scripted(({ url }) => (url === TOKEN_URL ? answer(200, { access_token: `t${++tokens}`, expires_in: 3600 }) : answer(401, {})));
    const client = createHttpClient({ baseUrl: 'https://api.example', auth: { kind: 'session', session: clientCredentials({ tokenUrl: TOKEN_URL, clientId: 'a', clientSecret: 'b', fetch: api.fetch }) }, fetch: api.fetch });
    await expect(client.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({ kind: 'permanent', httpStatus: 401 });
    expect(tokens).toBe(2);
    expect(api.calls.filter((c) => c.url !== TOKEN_URL)).toHaveLength(2);
  });
});

describe('the HTTP client with absolute links and extra headers', () => {
  it('follows an absolute link on the base origin, refuses another origin, and sends extra headers without replacing auth', async () => {
    const api = scripted(() => answer(200, { value: [] }, { etag: 'W/"abc"' }));
    const client = createHttpClient({ baseUrl: 'https://api.example/v2.0/tenant', auth: { kind: 'bearer', token: 't' }, fetch: api.fetch });
    const res = await client.request({ method: 'GET', path: 'https://api.example/v2.0/tenant/items?$skiptoken=abc', headers: { 'If-Match': '*', Authorization: 'Bearer forged' } });
    expect(api.calls[0]!.url).toBe('https://api.example/v2.0/tenant/items?$skiptoken=abc');
    expect(api.calls[0]!.init.headers).toMatchObject({ 'If-Match': '*', Authorization: 'Bearer t' });
    expect(res.headers.get('ETag')).toBe('W/"abc"');
    await expect(client.request({ method: 'GET', path: 'https://evil.example/steal' })).rejects.toMatchObject({ code: 'connector_foreign_link', kind: 'permanent' });
    expect(api.calls).toHaveLength(1);
    await client.request({ method: 'GET', path: '/x', headers: { authorization: 'Bearer forged' } });
    expect(Object.entries(api.calls[1]!.init.headers).filter(([k]) => k.toLowerCase() === 'authorization')).toEqual([['Authorization', 'Bearer t']]);
  });

  it('keeps the parsed error body on the error for the connector, not in its message', async () => {
    const api = scripted(() => answer(400, { error: { code: 'BadRequest_NotFound', message: 'The customer "ACME Secret" does not exist.' } }));
    const client = createHttpClient({ baseUrl: 'https://api.example', fetch: api.fetch });
    const error = (await client.request({ method: 'GET', path: '/x' }).catch((e: unknown) => e)) as HttpError;
    expect(odataError(error.body)).toEqual({ code: 'BadRequest_NotFound', message: 'The customer "ACME Secret" does not exist.' });
    expect(error.message).not.toContain('ACME');
  });
});

describe('OData pages', () => {
  it('reads value and the next link of OData v4 and of SAP B1 (v1), resolving a relative link', () => {
    expect(odataPage({ '@odata.context': 'x', value: [{ id: 1 }], '@odata.nextLink': 'https://bc.example/api/v2.0/items?$skiptoken=2' }, 'https://bc.example/api/v2.0/items', 'items')).toEqual({ records: [{ id: 1 }], nextLink: 'https://bc.example/api/v2.0/items?$skiptoken=2' });
    expect(odataPage({ value: [], 'odata.nextLink': 'BusinessPartners?$skip=20' }, 'https://sap.example:50000/b1s/v1/BusinessPartners?$top=20', 'BusinessPartners').nextLink).toBe('https://sap.example:50000/b1s/v1/BusinessPartners?$skip=20');
    expect(odataPage({ value: [] }, 'https://x/y', 'y').nextLink).toBeNull();
  });

  it('refuses an answer without a value array, or with non-objects in it', () => {
    expect(() => odataPage({ data: [] }, 'https://x/y', 'items')).toThrow(/items: the answer has no "value" array/);
    expect(() => odataPage({ value: [1] }, 'https://x/y', 'items')).toThrow(/not an object/);
    expect(() => odataPage({ value: [], '@odata.nextLink': 5 }, 'https://x/y', 'items')).toThrow(/next link/);
  });

  it('quotes string literals and reads both error shapes', () => {
    expect(odataString("O'Brien")).toBe("'O''Brien'");
    expect(odataError({ error: { code: -10, message: { lang: 'en-us', value: 'Invalid BP code' } } })).toEqual({ code: '-10', message: 'Invalid BP code' });
    expect(odataError('nope')).toEqual({});
  });
});
