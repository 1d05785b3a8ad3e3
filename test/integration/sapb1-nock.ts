import nock from 'nock';
import { expect } from 'vitest';
import { createSapB1Connector, type SapB1Options } from '../../connectors/sapb1/connector.js';
export { rejection } from '../fixtures/rejection.js';

/**
 * Shared pieces of the SAP B1 nock tests: a Service Layer at https://sap.example.com:50000/b1s/v1 and its
 * documented Login exchange (the SAP Business One Service Layer user manual, "Login and Logout"; the
 * learning.sap.com lesson "Logging In and Logging Out Using Service Layer API"): the request body
 * `{"CompanyDB","UserName","Password"}`, the answer `{"odata.metadata":"…$metadata#B1Sessions/@Element",
 * "SessionId","Version","SessionTimeout":30}` with `Set-Cookie: B1SESSION=<id>;HttpOnly;` (as a .NET
 * integration recorded it, without a Path) and `ROUTEID=.node1; path=/b1s`.
 */

export const HOST = 'https://sap.example.com:50000';
export const ROOT = `${HOST}/b1s/v1`;
export const PASSWORD = 'p4ss-w0rd!';
export const SESSION = '0dacaec2-f5fa-11e7-8000-002655851f48';
export const COOKIE = `B1SESSION=${SESSION}; ROUTEID=.node1`;
export const LOGIN_BODY = { CompanyDB: 'SBODEMOUS', UserName: 'manager', Password: PASSWORD };

export const sap = (options: Partial<SapB1Options> = {}) => createSapB1Connector({ baseUrl: ROOT, companyDb: 'SBODEMOUS', userName: 'manager', password: PASSWORD, pageSize: 2, overlapSeconds: 0, ...options });

/**
 * The Login exchange, answered with session `id` (on a scope of its own: Login carries no cookie);
 * `scope` is returned for chaining the requests that follow it.
 */
export function login(scope: nock.Scope, id = SESSION): nock.Scope {
  nock(HOST).post('/b1s/v1/Login', LOGIN_BODY).reply(
    200,
    { 'odata.metadata': `${ROOT}/$metadata#B1Sessions/@Element`, SessionId: id, Version: '1000190', SessionTimeout: 30 },
    // Two Set-Cookie headers, as raw header pairs (nock folds an array value into one header line).
    ['Set-Cookie', `B1SESSION=${id};HttpOnly;`, 'Set-Cookie', 'ROUTEID=.node1; path=/b1s'],
  );
  return scope;
}

/** The Service Layer, every request of the scope checked for the session's cookies. */
export const api = (cookie = COOKIE) => nock(HOST).matchHeader('cookie', cookie);

/** Every interceptor of the test was used (the Login scopes too). */
export function allDone(): void {
  expect(nock.pendingMocks()).toEqual([]);
}

/** SAP's error body (v1): `{"error":{"code":…,"message":{"lang":"en-us","value":…}}}`. */
export const sapError = (code: number, value: string) => ({ error: { code, message: { lang: 'en-us', value } } });

export const cursorOf = (c: string | null): unknown => (c === null ? null : JSON.parse(Buffer.from(c, 'base64url').toString('utf8')));
