import { isDeepStrictEqual } from 'node:util';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createOdooConnector } from '../../connectors/odoo/connector.js';
import { decodeCursor } from '../../connectors/odoo/cursor.js';
import { mapped } from '../fixtures/mapped.js';
import { offlineWithNock } from '../fixtures/nock.js';
import { rejection } from '../fixtures/rejection.js';

/**
 * The Odoo connector over JSON-RPC (`POST /jsonrpc`), against the request and answer bodies Odoo's
 * External RPC API documents (common.login, object.execute_kw with positional args and kwargs) and its
 * error envelope (HTTP 200, `error.data.name` the exception class; odoo/http JsonRPCDispatcher,
 * odoo/service/model.py). Each test asserts what the hub sent.
 */

const BASE = 'https://erp.example.com';
const DB = 'mycompany';
const LOGIN = 'integration@example.com';
const PASSWORD = '7f3c9a1e5b2d8c4f6a0e9b3d1c5f7a2e';
const UID = 7;

offlineWithNock();

const odoo = () => createOdooConnector({ baseUrl: BASE, protocol: 'jsonrpc', database: DB, login: LOGIN, password: PASSWORD });

interface Envelope {
  jsonrpc: string;
  method: string;
  id: number;
  params: { service: string; method: string; args: unknown[] };
}

/** Expects one JSON-RPC call with exactly these params, and answers with the caller's id. */
function expectCall(scope: nock.Scope, service: string, method: string, args: unknown[], answer: { result: unknown } | { error: unknown }): nock.Scope {
  return scope
    .post('/jsonrpc', (body: Envelope) => body.jsonrpc === '2.0' && body.method === 'call' && Number.isInteger(body.id) && isDeepStrictEqual(body.params, { service, method, args }))
    .reply(200, (_uri, body) => ({ jsonrpc: '2.0', id: (body as Envelope).id, ...answer }));
}
const login = (scope: nock.Scope, result: unknown = UID) => expectCall(scope, 'common', 'login', [DB, LOGIN, PASSWORD], { result });
const execute = (scope: nock.Scope, model: string, method: string, args: unknown[], kwargs: Record<string, unknown>, answer: { result: unknown } | { error: unknown }, uid = UID) =>
  expectCall(scope, 'object', 'execute_kw', [DB, uid, PASSWORD, model, method, args, kwargs], answer);

/** Odoo's JSON-RPC error: `code` 200, `message` "Odoo Server Error", the exception in `data`. */
const odooError = (name: string, message: string) => ({ code: 200, message: 'Odoo Server Error', data: { name, debug: `Traceback (most recent call last):\n  File "/opt/odoo/odoo/service/model.py", line 150, in retrying\n${name}: ${message}`, message, arguments: [message], context: {} } });

const PARTNER_FIELDS = ['id', 'name', 'ref', 'is_company', 'vat', 'email', 'phone', 'website', 'street', 'street2', 'city', 'zip', 'country_id', 'country_code', 'parent_id', 'function', 'type', 'active', 'customer_rank', 'write_date'];
const CUSTOMERS = [['parent_id', '=', false], ['customer_rank', '>', 0]];
const partner = (id: number, name: string, writeDate: string, extra: Record<string, unknown> = {}) => ({
  id, name, ref: false, is_company: true, vat: false, email: false, phone: false, website: false, street: false, street2: false, city: 'Berlin', zip: false,
  country_id: [57, 'Germany'], country_code: 'DE', parent_id: false, function: false, type: 'contact', active: true, customer_rank: 1, write_date: writeDate, ...extra,
});

describe('Odoo JSON-RPC check()', () => {
  it('logs in with common.login and asks check_access_rights on res.partner', async () => {
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'res.partner', 'check_access_rights', ['read'], { raise_exception: false }, { result: true });
    await expect(odoo().check()).resolves.toBeUndefined();
    scope.done();
  });

  it('says wrong credentials when common.login answers false (a failed login is not an error in Odoo)', async () => {
    const scope = nock(BASE);
    login(scope, false);
    const error = await rejection(odoo().check());
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_unauthorized' });
    expect(error.message).toContain('wrong credentials');
    expect(error.message).not.toContain(PASSWORD);
    scope.done();
  });

  it('says the user may not read partners when check_access_rights answers false', async () => {
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'res.partner', 'check_access_rights', ['read'], { raise_exception: false }, { result: false });
    const error = await rejection(odoo().check());
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_forbidden' });
    expect(error.message).toContain('may not read res.partner');
    scope.done();
  });

  it('falls back to has_access where check_access_rights is gone (Odoo 19)', async () => {
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'res.partner', 'check_access_rights', ['read'], { raise_exception: false }, { error: odooError('builtins.AttributeError', "The method 'check_access_rights' does not exist on the model 'res.partner'") });
    execute(scope, 'res.partner', 'has_access', ['read'], {}, { result: true });
    await expect(odoo().check()).resolves.toBeUndefined();
    scope.done();
  });

  it('says the URL is wrong for a 404 page, for Odoo 404 error, and for a page that is not JSON', async () => {
    const a = nock(BASE).post('/jsonrpc').reply(404, '<html><body>Not Found</body></html>', { 'content-type': 'text/html' });
    expect(await rejection(odoo().check())).toMatchObject({ kind: 'permanent', code: 'connector_wrong_url' });
    a.done();
    const b = nock(BASE).post('/jsonrpc').reply(200, (_u, body) => ({ jsonrpc: '2.0', id: (body as Envelope).id, error: { code: 404, message: '404: Not Found', data: { name: 'werkzeug.exceptions.NotFound', debug: '', message: '404 Not Found', arguments: [], context: {} } } }));
    const error = await rejection(odoo().check());
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_wrong_url' });
    expect(error.message).toContain('/jsonrpc');
    b.done();
    const c = nock(BASE).post('/jsonrpc').reply(200, '<!DOCTYPE html><title>Login</title>', { 'content-type': 'text/html' });
    expect(await rejection(odoo().check())).toMatchObject({ kind: 'permanent', code: 'connector_wrong_url' });
    c.done();
  });

  it('says which database could not be opened, without the server words', async () => {
    const s2 = nock(BASE);
    expectCall(s2, 'common', 'login', [DB, LOGIN, PASSWORD], { error: odooError('psycopg2.OperationalError', `connection to server failed: FATAL:  database "${DB}" does not exist`) });
    const error = await rejection(odoo().check());
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_database' });
    expect(error.message).not.toContain('FATAL');
    s2.done();
  });
});

describe('Odoo JSON-RPC read: search_read on write_date by whole second, id as tie-breaker', () => {
  it('reads from the beginning, keeps whole seconds of a full page and fills it from the last second by id', async () => {
    const scope = nock(BASE);
    login(scope);
    // Three rows asked for; the third shares its second with a row of a lower id stamped later in it.
    execute(scope, 'res.partner', 'search_read', [CUSTOMERS], { fields: PARTNER_FIELDS, order: 'write_date asc, id asc', limit: 3, context: { active_test: false } }, {
      result: [partner(3, 'Alpha GmbH', '2026-11-20 09:00:00'), partner(9, 'Beta AG', '2026-11-20 09:00:01'), partner(12, 'Gamma KG', '2026-11-20 09:00:02')],
    });
    execute(scope, 'res.partner', 'search_read', [[...CUSTOMERS, ['write_date', '>=', '2026-11-20 09:00:02'], ['write_date', '<', '2026-11-20 09:00:03'], ['id', '>', 0]]], { fields: PARTNER_FIELDS, order: 'id asc', limit: 1, context: { active_test: false } }, {
      result: [partner(5, 'Delta SE', '2026-11-20 09:00:02')],
    });
    const page = await odoo().read('res.partner', null, 3);
    expect(page.records.map((r) => r['id'])).toEqual([3, 9, 5]);
    expect(decodeCursor(page.cursor!)).toEqual({ s: '2026-11-20 09:00:02', k: 5 });
    // false becomes null, a many2one its id in text and its display name beside it.
    expect(page.records[0]).toMatchObject({ ref: null, vat: null, is_company: true, country_id: '57', country_id_name: 'Germany', parent_id: null, parent_id_name: null, active: true });
    scope.done();
  });

  it('resumes within the cursor second by id, then after it by time; caught up, the cursor keeps the last id of its second', async () => {
    const cursor = Buffer.from(JSON.stringify({ v: 1, s: '2026-11-20 09:00:02', k: 5 })).toString('base64url');
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'res.partner', 'search_read', [[...CUSTOMERS, ['write_date', '>=', '2026-11-20 09:00:02'], ['write_date', '<', '2026-11-20 09:00:03'], ['id', '>', 5]]], { fields: PARTNER_FIELDS, order: 'id asc', limit: 10, context: { active_test: false } }, {
      result: [partner(12, 'Gamma KG', '2026-11-20 09:00:02')],
    });
    execute(scope, 'res.partner', 'search_read', [[...CUSTOMERS, ['write_date', '>=', '2026-11-20 09:00:03']]], { fields: PARTNER_FIELDS, order: 'write_date asc, id asc', limit: 9, context: { active_test: false } }, {
      result: [partner(2, 'Epsilon', '2026-11-21 10:00:00', { active: false })],
    });
    const page = await odoo().read('res.partner', cursor, 10);
    expect(page.records.map((r) => r['id'])).toEqual([12, 2]);
    expect(decodeCursor(page.cursor!)).toEqual({ s: '2026-11-21 10:00:00', k: 2, c: true });
    // An archived customer is not a delete (orders and invoices still refer to it): status inactive.
    expect(odoo().isDeleted!('res.partner', page.records[1]!)).toBe(false);
    scope.done();
  });

  it('refuses a malformed answer (no result, a row without id, rows out of order) as permanent', async () => {
    const scope = nock(BASE);
    login(scope);
    scope.post('/jsonrpc').reply(200, (_u, body) => ({ jsonrpc: '2.0', id: (body as Envelope).id }));
    expect(await rejection(odoo().read('res.partner', null, 5))).toMatchObject({ kind: 'permanent', code: 'connector_invalid_response' });
    const c = odoo();
    login(scope);
    execute(scope, 'res.partner', 'search_read', [CUSTOMERS], { fields: PARTNER_FIELDS, order: 'write_date asc, id asc', limit: 5, context: { active_test: false } }, { result: [{ name: 'no id', write_date: '2026-11-20 09:00:00' }] });
    expect(await rejection(c.read('res.partner', null, 5))).toMatchObject({ kind: 'permanent', code: 'connector_invalid_response' });
    execute(scope, 'res.partner', 'search_read', [CUSTOMERS], { fields: PARTNER_FIELDS, order: 'write_date asc, id asc', limit: 5, context: { active_test: false } }, { result: [partner(4, 'B', '2026-11-20 09:00:05'), partner(3, 'A', '2026-11-20 09:00:01')] });
    expect(await rejection(c.read('res.partner', null, 5))).toMatchObject({ kind: 'permanent', code: 'connector_unordered' });
    scope.done();
  });

  it('counts with search_count under the same domain', async () => {
    const cursor = Buffer.from(JSON.stringify({ v: 1, s: '2026-11-20 09:00:02', k: 5 })).toString('base64url');
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'res.partner', 'search_count', [[...CUSTOMERS, '|', ['write_date', '>=', '2026-11-20 09:00:03'], '&', '&', ['write_date', '>=', '2026-11-20 09:00:02'], ['write_date', '<', '2026-11-20 09:00:03'], ['id', '>', 5]]], { context: { active_test: false } }, { result: 41 });
    expect(await odoo().count!('res.partner', cursor)).toBe(41);
    scope.done();
  });
});

describe('Odoo JSON-RPC errors: classified by error.data.name, never with the traceback', () => {
  it('logs in again once when a call meets AccessDenied (a changed password or key), then goes on', async () => {
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'res.partner', 'search_count', [CUSTOMERS], { context: { active_test: false } }, { error: odooError('odoo.exceptions.AccessDenied', 'Access Denied') });
    login(scope, 11);
    execute(scope, 'res.partner', 'search_count', [CUSTOMERS], { context: { active_test: false } }, { result: 3 }, 11);
    expect(await odoo().count!('res.partner', null)).toBe(3);
    scope.done();
  });

  it('throws unauthorized when the fresh login is refused too', async () => {
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'res.partner', 'search_count', [CUSTOMERS], { context: { active_test: false } }, { error: odooError('odoo.exceptions.AccessDenied', 'Access Denied') });
    login(scope, false);
    const error = await rejection(odoo().count!('res.partner', null));
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_unauthorized' });
    scope.done();
  });

  it('makes serialization failures and deadlocks retryable and keeps the traceback out', async () => {
    for (const name of ['psycopg2.errors.SerializationFailure', 'psycopg2.errors.DeadlockDetected', 'odoo.exceptions.ConcurrencyError']) {
      const scope = nock(BASE);
      login(scope);
      execute(scope, 'res.partner', 'search_count', [CUSTOMERS], { context: { active_test: false } }, { error: odooError(name, 'could not serialize access due to concurrent update') });
      const error = await rejection(odoo().count!('res.partner', null));
      expect(error).toMatchObject({ kind: 'retryable', code: 'connector_concurrency' });
      expect(error.message).toBe(`res.partner.search_count failed (${name})`);
      scope.done();
    }
  });
});
