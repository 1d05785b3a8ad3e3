import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createSapB1Connector } from '../../connectors/sapb1/connector.js';
import { offlineWithNock } from '../fixtures/nock.js';
import { SAP_COMPANY, SAP_PASSWORD, SAP_USER, SapB1Fake } from '../fixtures/sapb1-fake.js';
import { allDone, api, COOKIE, cursorOf, HOST, login, PASSWORD, rejection, ROOT, sap, sapError, SESSION } from './sapb1-nock.js';

/**
 * The SAP Business One connector against the Service Layer's documented requests and answers, each
 * test asserting what the hub sent: the Login body and the session cookies, re-login on 301 "Invalid
 * session", Logout, check()'s words for each refusal, and the incremental reads (`$filter`, `$orderby`,
 * `Prefer: odata.maxpagesize`, `odata.nextLink`). Writes: http-sapb1-writes.test.ts.
 */

offlineWithNock();

const bp = (code: string, date: string, time: string, name = `Customer ${code}`) => ({ CardCode: code, CardName: name, CardType: 'cCustomer', Currency: 'EUR', Valid: 'tYES', Frozen: 'tNO', UpdateDate: date, UpdateTime: time });
const LIST = "BusinessPartners?$filter=CardType eq 'cCustomer'&$orderby=UpdateDate,UpdateTime,CardCode";
const listPath = (filter: string) => `/b1s/v1/BusinessPartners?$filter=${encodeURIComponent(filter)}&$orderby=${encodeURIComponent('UpdateDate,UpdateTime,CardCode')}`;

describe('SAP B1 session', () => {
  it('logs in with the documented body, sends both cookies, shares one login between concurrent requests, and logs out on close', async () => {
    login(api())
      .get(listPath("CardType eq 'cCustomer'"))
      .times(2)
      .matchHeader('prefer', 'odata.maxpagesize=2')
      .reply(200, { 'odata.metadata': `${ROOT}/$metadata#BusinessPartners`, value: [] })
      .post('/b1s/v1/Logout')
      .reply(204);
    const c = sap();
    const [a, b] = await Promise.all([c.read('BusinessPartners', null, 2), c.read('BusinessPartners', null, 2)]);
    expect(a).toEqual({ records: [], cursor: null });
    expect(b).toEqual({ records: [], cursor: null });
    expect(c.session.logins).toBe(1);
    await c.close();
    allDone();
    await expect(c.read('BusinessPartners', null, 2)).rejects.toMatchObject({ code: 'connector_closed' });
  });

  it('sends Language when configured', async () => {
    nock(HOST)
      .post('/b1s/v1/Login', { CompanyDB: 'SBODEMOUS', UserName: 'manager', Password: PASSWORD, Language: 3 })
      .reply(200, { SessionId: 'abc', Version: '1000190', SessionTimeout: 30 }, { 'Set-Cookie': ['B1SESSION=abc;HttpOnly;'] })
      .get(listPath("CardType eq 'cCustomer'"))
      .matchHeader('cookie', 'B1SESSION=abc')
      .reply(200, { value: [] });
    await sap({ language: 3 }).read('BusinessPartners', null, 2);
    allDone();
  });

  it('logs in again when the session timed out (401, SAP 301) and sends the request once more; a second refusal is the read\'s failure', async () => {
    const NEW = 'b1b2c3d4-0000-4000-8000-000000000002';
    const expired = sapError(301, 'Invalid session or session already timeout.');
    const scope = login(nock(HOST))
      .get(listPath("CardType eq 'cCustomer'"))
      .matchHeader('cookie', COOKIE)
      .reply(401, expired);
    login(scope, NEW)
      .get(listPath("CardType eq 'cCustomer'"))
      .matchHeader('cookie', `B1SESSION=${NEW}; ROUTEID=.node1`)
      .reply(200, { value: [bp('C1', '2026-11-20', '09:00:00')] });
    const c = sap();
    const page = await c.read('BusinessPartners', null, 2);
    expect(page.records).toHaveLength(1);
    expect(c.session.logins).toBe(2);
    allDone();

    // Refused again right after a fresh login: permanent, and no loop.
    const again = login(nock(HOST), 'x1').get(listPath("CardType eq 'cCustomer'")).reply(401, expired);
    login(again, 'x2').get(listPath("CardType eq 'cCustomer'")).reply(401, expired);
    const error = await rejection(sap().read('BusinessPartners', null, 2));
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_unauthorized' });
    expect(error.message).toContain('SAP 301: Invalid session or session already timeout.');
    allDone();
  });
});

describe('SAP B1 check()', () => {
  it('says which part of the login SAP refused, never the password', async () => {
    const cases: [number, unknown, RegExp, string][] = [
      [401, sapError(100000027, 'Invalid login credential.'), /refused the login \(SAP 100000027: Invalid login credential\.\): check userName and the password in passwordEnv/, 'connector_login_refused'],
      [401, sapError(-304, 'Fail to get DB Credentials from SLD'), /could not open the company database \(SAP -304: Fail to get DB Credentials from SLD\): check companyDb/, 'connector_company_db'],
      [401, sapError(100000055, 'User account is locked'), /the user is locked/, 'connector_user_locked'],
      [404, '<html><body>Not Found</body></html>', /baseUrl is not a Service Layer root/, 'connector_not_service_layer'],
    ];
    for (const [status, body, message, code] of cases) {
      nock(HOST).post('/b1s/v1/Login', () => true).reply(status, body as nock.Body);
      const error = await rejection(sap().check());
      expect(error).toMatchObject({ kind: 'permanent', code });
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(PASSWORD);
    }
  });

  it('reads one row of every entity set it uses, naming the one the user may not read', async () => {
    const scope = login(api());
    for (const [set, select] of [['BusinessPartners', 'CardCode'], ['Items', 'ItemCode']] as const) {
      scope.get(`/b1s/v1/${set}`).query({ $select: select, $top: '1' }).reply(200, { value: [] });
    }
    scope.get('/b1s/v1/Orders').query({ $select: 'DocEntry', $top: '1' }).reply(403, sapError(-1029, 'No permission to read'));
    const error = await rejection(sap().check());
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_forbidden' });
    expect(error.message).toBe('sapb1: the SAP B1 user cannot read Orders: sapb1: GET Orders: the SAP B1 user lacks the authorization (HTTP 403 (SAP -1029: No permission to read))');
    allDone();
  });

  it('an unreachable Service Layer is retryable', async () => {
    nock(HOST).post('/b1s/v1/Login').replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect(await rejection(sap().check())).toMatchObject({ kind: 'retryable' });
  });
});

describe('SAP B1 incremental reads', () => {
  it('filters by date, orders by UpdateDate, UpdateTime, key, pages by $skip while odata.nextLink says there is more, and resumes without skipping a row of the same second that the server sorts differently', async () => {
    // Page 1 and its next link (relative, as v1 answers it); the server sorts case-insensitively: "b1" before "C0".
    const scope = login(api())
      .get(listPath("CardType eq 'cCustomer'"))
      .matchHeader('prefer', 'odata.maxpagesize=2')
      .reply(200, { value: [bp('A1', '2026-11-20', '09:00:00'), bp('b1', '2026-11-20', '10:15:03')], 'odata.nextLink': `${LIST}&$skip=2` })
      // The next page is asked for by the connector itself (the same query, $skip a quarter page back: 0 of 2).
      .get(`${listPath("CardType eq 'cCustomer'")}&$skip=2`)
      .reply(200, { value: [bp('C0', '2026-11-20', '10:15:03'), bp('D1', '2026-11-21', '08:00:00')] });
    const c = sap();
    const first = await c.read('BusinessPartners', null, 3);
    expect(first.records.map((r) => r['CardCode'])).toEqual(['A1', 'b1', 'C0']);
    expect(cursorOf(first.cursor)).toEqual({ t: '2026-11-20 10:15:03', k: ['b1', 'C0'] });

    // From the cursor: the day again (UpdateDate ge), the second's delivered keys dropped, "B2" kept
    // although it sorts before "C0" in JavaScript's order.
    scope
      .get(listPath("(CardType eq 'cCustomer') and (UpdateDate ge '2026-11-20')"))
      .reply(200, { value: [bp('A1', '2026-11-20', '09:00:00'), bp('b1', '2026-11-20', '10:15:03')], 'odata.nextLink': `BusinessPartners?$filter=${encodeURIComponent("(CardType eq 'cCustomer') and (UpdateDate ge '2026-11-20')")}&$skip=2` })
      .get(`${listPath("(CardType eq 'cCustomer') and (UpdateDate ge '2026-11-20')")}&$skip=2`)
      .reply(200, { value: [bp('B2', '2026-11-20', '10:15:03'), bp('C0', '2026-11-20', '10:15:03'), bp('D1', '2026-11-21', '08:00:00')] });
    const second = await c.read('BusinessPartners', first.cursor, 3);
    expect(second.records.map((r) => r['CardCode'])).toEqual(['B2', 'D1']);
    expect(cursorOf(second.cursor)).toEqual({ t: '2026-11-21 08:00:00', k: ['D1'] });
    allDone();
  });

  it('refuses rows out of time order, rows without a stamp, and a page that is not an OData collection, reading nothing', async () => {
    login(api())
      .get(listPath("CardType eq 'cCustomer'"))
      .reply(200, { value: [bp('B', '2026-11-21', '08:00:00'), bp('A', '2026-11-20', '08:00:00')] })
      .get(listPath("CardType eq 'cCustomer'"))
      .reply(200, { value: [{ CardCode: 'X', UpdateDate: '20.11.2026' }] })
      .get(listPath("CardType eq 'cCustomer'"))
      .reply(200, { 'odata.metadata': `${ROOT}/$metadata#BusinessPartners`, error: 'no value here' });
    const c = sap();
    expect(await rejection(c.read('BusinessPartners', null, 5))).toMatchObject({ kind: 'permanent', code: 'connector_unordered' });
    expect(await rejection(c.read('BusinessPartners', null, 5))).toMatchObject({ kind: 'permanent', code: 'connector_invalid_response', message: 'sapb1 BusinessPartners row lacks a readable UpdateDate / UpdateTime' });
    const malformed = await rejection(c.read('BusinessPartners', null, 5));
    expect(malformed).toMatchObject({ kind: 'permanent', code: 'connector_invalid_response' });
    expect(malformed.message).toContain('no "value" array');
    allDone();
  });

  it('with an overlap window, re-reads the last seconds once caught up; a backfill starts 2 h early in the server time zone', async () => {
    const c = sap({ overlapSeconds: 5, timeZone: 'Europe/Berlin' });
    const caughtUp = Buffer.from(JSON.stringify({ t: '2026-11-21 00:00:03', k: ['C9'], c: 1 })).toString('base64url');
    login(api())
      .get(listPath("(CardType eq 'cCustomer') and (UpdateDate ge '2026-11-20')"))
      .reply(200, { value: [bp('C8', '2026-11-20', '23:59:58'), bp('C9', '2026-11-21', '00:00:03')] });
    const page = await c.read('BusinessPartners', caughtUp, 5);
    expect(page.records.map((r) => r['CardCode'])).toEqual(['C8', 'C9']);
    expect(cursorOf(page.cursor)).toEqual({ t: '2026-11-21 00:00:03', k: ['C9'], c: 1 });
    allDone();

    // 2026-11-21T10:00:00Z is 11:00 in Berlin; two hours earlier: 09:00.
    expect(cursorOf(c.cursorSince!('BusinessPartners', '2026-11-21T10:00:00Z'))).toEqual({ t: '2026-11-21 09:00:00', k: [] });
    expect(() => sap().cursorSince!('BusinessPartners', '2026-11-21T10:00:00Z')).toThrow(/without timeZone/);
    expect(await rejection(c.read('BusinessPartners', 'not-a-cursor', 2))).toMatchObject({ kind: 'permanent', code: 'connector_bad_cursor' });
  });

  it('counts with /$count and the same filter', async () => {
    login(api()).get(`/b1s/v1/Invoices/$count?$filter=${encodeURIComponent("UpdateDate ge '2026-11-20'")}`).reply(200, '42');
    expect(await sap().count!('Invoices', Buffer.from(JSON.stringify({ t: '2026-11-20 10:00:00', k: [] })).toString('base64url'))).toBe(42);
    allDone();
  });

  it('reads customer payments with their exact total, and reports cancelled invoices and payments deleted', async () => {
    const payment = { DocEntry: 7, DocNum: 7, DocType: 'rCustomer', CardCode: 'C1', DocDate: '2026-11-20', DocCurrency: 'EUR', CashSum: 0.1, TransferSum: 0.2, BillOfExchangeAmount: 0, Cancelled: 'tNO', PaymentChecks: [{ CheckSum: 100.05 }], PaymentCreditCards: [{ CreditSum: 1e-7 }], PaymentInvoices: [{ LineNum: 0, DocEntry: 3, SumApplied: 100.35, InvoiceType: 'it_Invoice' }], UpdateDate: '2026-11-20', UpdateTime: '11:00:00' };
    login(api())
      .get(`/b1s/v1/IncomingPayments?$filter=${encodeURIComponent("DocType eq 'rCustomer'")}&$orderby=${encodeURIComponent('UpdateDate,UpdateTime,DocEntry')}`)
      .reply(200, { value: [payment, { ...payment, DocEntry: 8, Cancelled: 'tYES' }] });
    const c = sap();
    const page = await c.read('IncomingPayments', null, 5);
    expect(page.records[0]).toMatchObject({ DocEntry: 7, HubTotalReceived: '100.3500001' });
    expect(page.records.map((r) => c.isDeleted!('IncomingPayments', r))).toEqual([false, true]);
    expect(c.isDeleted!('Invoices', { DocEntry: 1, Cancelled: 'tNO', CancelStatus: 'csCancellation' })).toBe(true);
    expect(c.isDeleted!('Orders', { DocEntry: 1, Cancelled: 'tYES' })).toBe(false);
    expect(c.keyOf('IncomingPayments', page.records[0]!)).toBe('7');
    allDone();
  });

  it('sweeps stock item by item, one record per warehouse, and starts the next sweep after the last page', async () => {
    const item = (code: string, whs: [string, number, number][]) => ({ ItemCode: code, UpdateDate: '2026-11-01', UpdateTime: '08:00:00', ItemWarehouseInfoCollection: whs.map(([w, s, c]) => ({ WarehouseCode: w, InStock: s, Committed: c, Ordered: 0 })) });
    const path = (after?: string) => `/b1s/v1/Items?$select=${encodeURIComponent('ItemCode,UpdateDate,UpdateTime,ItemWarehouseInfoCollection')}&$filter=${encodeURIComponent(after === undefined ? "InventoryItem eq 'tYES'" : `(InventoryItem eq 'tYES') and (ItemCode gt '${after}')`)}&$orderby=ItemCode`;
    login(api())
      .get(path())
      .reply(200, { value: [item('A1', [['01', 5, 1], ['02', 0, 0]]), item("O'B", [['01', 2.5, 0]])] })
      .get(path("O''B"))
      .reply(200, { value: [item('Z9', [['01', 1, 0]])] })
      .get(path())
      .reply(200, { value: [] });
    const c = sap();
    const first = await c.read('ItemWarehouseInfo', null, 3);
    expect(first.records.map((r) => c.keyOf('ItemWarehouseInfo', r))).toEqual(['A1|01', 'A1|02', "O'B|01"]);
    expect(first.records[0]).toMatchObject({ ItemCode: 'A1', WarehouseCode: '01', InStock: 5, Committed: 1 });
    const last = await c.read('ItemWarehouseInfo', first.cursor, 3);
    expect(last.records.map((r) => c.keyOf('ItemWarehouseInfo', r))).toEqual(['Z9|01']);
    expect(cursorOf(last.cursor)).toEqual({ s: null, d: 1 });
    // The next poll starts over from the first item.
    expect((await c.read('ItemWarehouseInfo', last.cursor, 3)).records).toEqual([]);
    allDone();
  });
});

describe('SAP B1 session cookie', () => {
  it('takes the session id from the body when the answer sets no cookie, and refuses a Login answer without one', async () => {
    nock(HOST)
      .post('/b1s/v1/Login')
      .reply(200, { SessionId: SESSION, SessionTimeout: 30 })
      .get(listPath("CardType eq 'cCustomer'"))
      .matchHeader('cookie', `B1SESSION=${SESSION}`)
      .reply(200, { value: [] })
      .post('/b1s/v1/Login')
      .reply(200, { Version: '1000190' });
    await sap().read('BusinessPartners', null, 2);
    expect(await rejection(sap().read('BusinessPartners', null, 2))).toMatchObject({ kind: 'retryable', code: 'connector_invalid_response' });
    allDone();
  });
});

describe('SAP B1 through the local Service Layer fake', () => {
  it('throttling is retryable with Retry-After, an outage retryable, and a timed-out session renewed', async () => {
    const fake = new SapB1Fake();
    await fake.start();
    try {
      const c = createSapB1Connector({ baseUrl: fake.url, companyDb: SAP_COMPANY, userName: SAP_USER, password: SAP_PASSWORD, pageSize: 2 });
      fake.insert('BusinessPartners', { CardCode: 'C1', CardName: 'One' });
      expect((await c.read('BusinessPartners', null, 5)).records).toHaveLength(1);
      fake.fault = 'throttled';
      const [outcome] = await c.upsert('BusinessPartners', [{ hubId: 'h', payload: { CardCode: 'C1', CardName: 'Uno' } as never }]);
      expect(outcome).toMatchObject({ ok: false, kind: 'retryable', code: 'rate_limited', retryAfterMs: 2000 });
      fake.fault = 'unavailable';
      expect(await rejection(c.read('BusinessPartners', null, 5))).toMatchObject({ kind: 'retryable', code: 'connector_unavailable' });
      fake.fault = 'none';
      fake.expireSessions();
      expect(await c.upsert('BusinessPartners', [{ hubId: 'h', payload: { CardCode: 'C1', CardName: 'Uno' } as never }])).toEqual([{ ok: true, externalId: 'C1' }]);
      expect(fake.logins).toBe(2);
      expect(fake.set('BusinessPartners').get('C1')).toMatchObject({ CardName: 'Uno' });
      await c.close();
      expect(fake.logouts).toBe(1);
    } finally {
      await fake.close();
    }
  });

  it('a row changed while a read pages through the day loses no other row (the Service Layer pages by offset)', async () => {
    const fake = new SapB1Fake();
    await fake.start();
    try {
      for (let i = 1; i <= 12; i++) fake.insert('BusinessPartners', { CardCode: `C${String(i).padStart(2, '0')}`, CardName: `Partner ${i}` });
      let lists = 0;
      // After the first page, a user edits the first partner: it moves to the end of the day's order and
      // every later row moves up one place.
      const fetch: typeof globalThis.fetch = async (url, init) => {
        const answer = await globalThis.fetch(url, init);
        if (String(url).includes('/BusinessPartners?') && ++lists === 1) fake.update('BusinessPartners', 'C01', { CardName: 'Partner 1, edited' });
        return answer;
      };
      const c = createSapB1Connector({ baseUrl: fake.url, companyDb: SAP_COMPANY, userName: SAP_USER, password: SAP_PASSWORD, pageSize: 4, fetch: fetch as never });
      const page = await c.read('BusinessPartners', null, 100);
      expect(lists).toBeGreaterThan(1);
      const keys = new Set(page.records.map((r) => r['CardCode']));
      expect([...keys].sort()).toEqual(Array.from({ length: 12 }, (_v, i) => `C${String(i + 1).padStart(2, '0')}`));
      await c.close();
    } finally {
      await fake.close();
    }
  });
});
