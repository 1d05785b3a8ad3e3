import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createHttpClient, HttpError } from '../../connectors/http/client.js';
import type { HttpClient } from '../../connectors/http/client.js';
import { offlineWithNock } from '../fixtures/nock.js';

const BASE = 'https://erp.example.com';
const KEY = 'a1b2c3d4e5';
const SECRET = 'zz-very-secret-zz';
const AUTH = `token ${KEY}:${SECRET}`;

offlineWithNock();

function client(options: { timeoutMs?: number; now?: () => number } = {}): HttpClient {
  return createHttpClient({ baseUrl: BASE, auth: { kind: 'header', name: 'Authorization', value: AUTH }, ...options });
}

async function failure(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}

function assertSafe(error: HttpError): void {
  const text = `${error.message} ${JSON.stringify(error)}`;
  expect(text).not.toContain(KEY);
  expect(text).not.toContain(SECRET);
}

describe('HTTP client: what it sends', () => {
  it('sends the auth header and a JSON body, and parses the JSON answer', async () => {
    const scope = nock(BASE, { reqheaders: { authorization: AUTH, 'content-type': 'application/json', accept: 'application/json' } })
      .post('/api/resource/Customer', { customer_name: 'Acme GmbH', customer_type: 'Company' })
      .reply(200, { data: { name: 'Acme GmbH', customer_name: 'Acme GmbH' } });
    const response = await client().request({ method: 'POST', path: '/api/resource/Customer', body: { customer_name: 'Acme GmbH', customer_type: 'Company' } });
    expect(response).toMatchObject({ status: 200, body: { data: { name: 'Acme GmbH', customer_name: 'Acme GmbH' } } });
    scope.done();
  });

  it('supports bearer and basic auth', async () => {
    const scope = nock(BASE)
      .get('/a')
      .matchHeader('authorization', 'Bearer tok-123')
      .reply(200, {})
      .get('/b')
      .matchHeader('authorization', `Basic ${Buffer.from('user:pa:ss').toString('base64')}`)
      .reply(200, {});
    await createHttpClient({ baseUrl: BASE, auth: { kind: 'bearer', token: 'tok-123' } }).request({ method: 'GET', path: '/a' });
    await createHttpClient({ baseUrl: BASE, auth: { kind: 'basic', username: 'user', password: 'pa:ss' } }).request({ method: 'GET', path: '/b' });
    scope.done();
  });
});

describe('HTTP client: failure classification', () => {
  it('429 with Retry-After in seconds is retryable with retryAfterMs, and is remembered as a rate-limit signal', async () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    nock(BASE).get('/api/resource/Customer').reply(429, { exc_type: 'TooManyRequestsError' }, { 'Retry-After': '12' });
    const c = client({ now: () => now });
    expect(c.rateLimit).toBeNull();
    const error = await failure(c.request({ method: 'GET', path: '/api/resource/Customer' }));
    expect(error).toMatchObject({ kind: 'retryable', code: 'connector_rate_limited', retryAfterMs: 12_000, httpStatus: 429 });
    expect(error.message).toBe('GET answered 429 (TooManyRequestsError)');
    expect(c.rateLimit).toEqual({ retryAfterMs: 12_000, untilMs: now + 12_000 });
    expect(c.pauseRemainingMs()).toBe(12_000);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    nock(BASE).get('/x').reply(503, '', { 'Retry-After': 'Mon, 23 Nov 2026 12:01:00 GMT' });
    const error = await failure(client({ now: () => now }).request({ method: 'GET', path: '/x' }));
    expect(error).toMatchObject({ kind: 'retryable', code: 'connector_unavailable', retryAfterMs: 60_000 });
  });

  it.each([408, 425, 500, 502, 503, 504])('%i is retryable', async (status) => {
    nock(BASE).get('/x').reply(status, '<html>upstream trouble</html>');
    const error = await failure(client().request({ method: 'GET', path: '/x' }));
    expect(error.kind).toBe('retryable');
    expect(error.httpStatus).toBe(status);
    expect(error.retryAfterMs).toBeUndefined();
    expect(error.message).not.toContain('upstream');
  });

  it.each([
    [400, 'connector_bad_request'],
    [403, 'connector_forbidden'],
    [404, 'connector_not_found'],
    [409, 'connector_conflict'],
    [417, 'connector_validation'],
    [422, 'connector_validation'],
    [418, 'connector_http_418'],
  ])('%i is permanent (%s)', async (status, code) => {
    nock(BASE).put('/x').reply(status, { exc_type: 'SomeError', exception: 'frappe.exceptions.SomeError: tax id DE123 is taken' });
    const error = await failure(client().request({ method: 'PUT', path: '/x', body: { tax_id: 'DE123' } }));
    expect(error).toMatchObject({ kind: 'permanent', code, httpStatus: status, errorType: 'SomeError' });
    expect(error.message).toBe(`PUT answered ${status} (SomeError)`);
    expect(error.message).not.toContain('DE123');
  });

  it('401 is permanent and names no credential', async () => {
    nock(BASE).get('/x').reply(401, { exc_type: 'AuthenticationError', exception: `Invalid token ${KEY}:${SECRET}` });
    const error = await failure(client().request({ method: 'GET', path: '/x' }));
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_unauthorized', httpStatus: 401 });
    assertSafe(error);
  });

  it('an error type that is not an identifier is not echoed', async () => {
    nock(BASE).get('/x').reply(417, { exc_type: 'customer Acme GmbH, tax DE123' });
    const error = await failure(client().request({ method: 'GET', path: '/x' }));
    expect(error.message).toBe('GET answered 417');
    expect(error.errorType).toBeUndefined();
  });

  it('a request slower than the timeout is retryable `timeout`', async () => {
    nock(BASE).get('/slow').delay(500).reply(200, { data: [] });
    const error = await failure(client({ timeoutMs: 50 }).request({ method: 'GET', path: '/slow' }));
    expect(error).toMatchObject({ kind: 'retryable', code: 'connector_timeout' });
    expect(error.httpStatus).toBeUndefined();
  });

  it('a connection reset is retryable', async () => {
    nock(BASE).get('/reset').replyWithError({ code: 'ECONNRESET', message: `socket hang up ${SECRET}` });
    const error = await failure(client().request({ method: 'GET', path: '/reset' }));
    expect(error).toMatchObject({ kind: 'retryable', code: 'connector_connection_reset' });
    assertSafe(error);
  });

  it('any other network failure is retryable `network`', async () => {
    nock(BASE).get('/boom').replyWithError('getaddrinfo went wrong');
    const error = await failure(client().request({ method: 'GET', path: '/boom' }));
    expect(error).toMatchObject({ kind: 'retryable', code: 'connector_network' });
    expect(error.message).not.toContain('getaddrinfo');
  });

  it('a 2xx answer that is not JSON is a retryable `invalid_response` (a write it answered may have been applied)', async () => {
    nock(BASE).get('/html').reply(200, '<html>login</html>');
    const error = await failure(client().request({ method: 'GET', path: '/html' }));
    expect(error).toMatchObject({ kind: 'retryable', code: 'connector_invalid_response' });
    nock(BASE).post('/things').reply(201, '{"data": {"name": "T-1"');
    expect(await failure(client().request({ method: 'POST', path: '/things', body: { a: 1 } }))).toMatchObject({ kind: 'retryable', code: 'connector_invalid_response' });
  });
});
