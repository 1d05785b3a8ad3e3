import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { sapSuffix } from '../../connectors/sapb1/errors.js';
import { numberLines } from '../../connectors/sapb1/write.js';
import { mapped } from '../fixtures/mapped.js';
import { offlineWithNock } from '../fixtures/nock.js';
import { allDone, api, login, rejection, ROOT, sap, sapError } from './sapb1-nock.js';

/**
 * SAP B1 writes against the Service Layer's documented requests: master data by PATCH on the key
 * (204 No Content) and POST when SAP answers 404 -2028 "No matching records found (ODBC -2028)"; orders
 * created by POST (201 with DocEntry) after a lookup on NumAtCard, updated by PATCH with each existing
 * line's LineNum (`B1S-ReplaceCollectionsOnPatch: true` only when lines go), cancelled with
 * `POST Orders(n)/Cancel`. A refused record fails alone with SAP's code; its message never quotes a value.
 */

offlineWithNock();

const NOT_FOUND = sapError(-2028, 'No matching records found (ODBC -2028)');
const customer = (code: string, name: string) => ({ CardCode: code, CardName: name, CardType: 'cCustomer', Currency: 'EUR', EmailAddress: `${code.toLowerCase()}@example.com` });
const without = (o: Record<string, string>, k: string): nock.RequestBodyMatcher => Object.fromEntries(Object.entries(o).filter(([key]) => key !== k));

describe('SAP B1 master data writes', () => {
  it('PATCHes by key without the key in the body, POSTs on -2028, and fails a refused record alone with SAP\'s code and no value', async () => {
    const a = customer('C20000', 'Acme GmbH');
    const b = customer('C20001', 'Beta AG');
    const c = customer("O'BRIEN", "O'Brien & Co");
    const d = customer('C20003', 'Delta SE');
    login(api())
      .patch("/b1s/v1/BusinessPartners('C20000')", without(a, 'CardCode'))
      .reply(204)
      .patch("/b1s/v1/BusinessPartners('C20001')", without(b, 'CardCode'))
      .reply(404, NOT_FOUND)
      .post('/b1s/v1/BusinessPartners', b)
      .reply(201, { 'odata.metadata': `${ROOT}/$metadata#BusinessPartners/@Element`, ...b, Valid: 'tYES', Frozen: 'tNO' })
      // The quote of the key is doubled inside the literal.
      .patch("/b1s/v1/BusinessPartners('O''BRIEN')", without(c, 'CardCode'))
      .reply(400, sapError(-10, "1320000140 - Business partner code 'O'BRIEN' already assigned to a business partner; enter a unique business partner code"))
      .patch("/b1s/v1/BusinessPartners('C20003')", without(d, 'CardCode'))
      .reply(204);
    const outcomes = await sap().upsert('BusinessPartners', [a, b, c, d].map((p, i) => ({ hubId: `h${i}`, payload: mapped(p) })));
    expect(outcomes).toEqual([
      { ok: true, externalId: 'C20000' },
      { ok: true, externalId: 'C20001' },
      { ok: false, kind: 'permanent', code: 'sap_-10', message: "sapb1: PATCH BusinessPartners was refused: HTTP 400 (SAP -10)" },
      { ok: true, externalId: 'C20003' },
    ]);
    expect(JSON.stringify(outcomes)).not.toContain('BRIEN');
    allDone();
  });

  it('updates the record a customer is linked to when its code changed in the hub (SAP cannot rename a key), and makes it under the new code only when the linked one is gone', async () => {
    const renamed = customer('C30000', 'Acme GmbH');
    login(api())
      .patch("/b1s/v1/BusinessPartners('C20000')", without(renamed, 'CardCode'))
      .reply(204)
      .patch("/b1s/v1/BusinessPartners('C20000')", without(renamed, 'CardCode'))
      .reply(404, NOT_FOUND)
      .post('/b1s/v1/BusinessPartners', renamed)
      .reply(201, renamed);
    const c = sap();
    expect(await c.upsert('BusinessPartners', [{ hubId: 'h1', payload: mapped(renamed), externalId: 'C20000' }])).toEqual([{ ok: true, externalId: 'C20000' }]);
    expect(await c.upsert('BusinessPartners', [{ hubId: 'h1', payload: mapped(renamed), externalId: 'C20000' }])).toEqual([{ ok: true, externalId: 'C30000' }]);
    allDone();
  });

  it('a throttled write is retryable with Retry-After, and the rest of the batch is not sent; a refused session stops the batch', async () => {
    login(api())
      .patch("/b1s/v1/Items('A0001')")
      .reply(429, sapError(-1, 'Too many requests'), { 'Retry-After': '7' });
    const outcomes = await sap().upsert('Items', [{ hubId: 'h1', payload: mapped({ ItemCode: 'A0001', ItemName: 'Bolt' }) }, { hubId: 'h2', payload: mapped({ ItemCode: 'A0002', ItemName: 'Nut' }) }]);
    expect(outcomes[0]).toMatchObject({ ok: false, kind: 'retryable', code: 'rate_limited', retryAfterMs: 7000 });
    expect(outcomes[1]).toMatchObject({ ok: false, kind: 'retryable', attempted: false });
    allDone();

    const expired = sapError(301, 'Invalid session or session already timeout.');
    login(api()).patch("/b1s/v1/Items('A0001')").reply(401, expired);
    login(api('B1SESSION=second; ROUTEID=.node1'), 'second').patch("/b1s/v1/Items('A0001')").reply(401, expired);
    expect(await rejection(sap().upsert('Items', [{ hubId: 'h1', payload: mapped({ ItemCode: 'A0001', ItemName: 'Bolt' }) }]))).toMatchObject({ kind: 'permanent', code: 'connector_unauthorized' });
    allDone();
  });
});

describe('SAP B1 order writes', () => {
  const order = { NumAtCard: 'SO-1001', CardCode: 'C20000', DocDate: '2026-11-21', DocDueDate: '2026-11-28', DocCurrency: 'EUR', DocumentLines: [{ ItemCode: 'A0001', Quantity: 10, UnitPrice: 2.5, DiscountPercent: 0 }, { ItemCode: 'A0002', Quantity: 4, UnitPrice: 12, DiscountPercent: 10 }] };
  const lookupPath = `/b1s/v1/Orders?$select=${encodeURIComponent('DocEntry,NumAtCard')}&$filter=${encodeURIComponent("(NumAtCard eq 'SO-1001') and (Cancelled eq 'tNO')")}&$top=2`;
  const current = (lines: number[], extra: Record<string, unknown> = {}) => ({ DocEntry: 17, DocumentStatus: 'bost_Open', Cancelled: 'tNO', DocumentLines: lines.map((n) => ({ LineNum: n, ItemCode: `X${n}`, Quantity: 1 })), ...extra });
  const getPath = `/b1s/v1/Orders(17)?$select=${encodeURIComponent('DocEntry,DocumentStatus,Cancelled,DocumentLines')}`;

  it('creates after a lookup finds no open order with the hub\'s number: POST Orders, DocEntry from the 201 answer', async () => {
    login(api())
      .get(lookupPath)
      .reply(200, { 'odata.metadata': `${ROOT}/$metadata#Orders`, value: [] })
      .post('/b1s/v1/Orders', order)
      .reply(201, { ...order, DocEntry: 17, DocNum: 1001, DocTotal: 68.2, DocumentStatus: 'bost_Open', Cancelled: 'tNO' });
    expect(await sap().upsert('Orders', [{ hubId: 'o1', payload: mapped(order) }])).toEqual([{ ok: true, externalId: '17' }]);
    allDone();
  });

  it('a retried create whose first answer was lost finds the order and updates it, its lines by LineNum', async () => {
    login(api())
      .get(lookupPath)
      .reply(200, { value: [{ DocEntry: 17, NumAtCard: 'SO-1001' }] })
      .get(getPath)
      .reply(200, current([0, 1]))
      .patch('/b1s/v1/Orders(17)', { ...order, DocumentLines: [{ ...order.DocumentLines[0], LineNum: 0 }, { ...order.DocumentLines[1], LineNum: 1 }] })
      .reply(204);
    expect(await sap().upsert('Orders', [{ hubId: 'o1', payload: mapped(order) }])).toEqual([{ ok: true, externalId: '17' }]);
    allDone();
  });

  it('updates a linked order: existing lines keep their LineNum, a new line has none, and fewer lines send B1S-ReplaceCollectionsOnPatch', async () => {
    const three = { ...order, DocumentLines: [...order.DocumentLines, { ItemCode: 'A0003', Quantity: 1, UnitPrice: 5, DiscountPercent: 0 }] };
    login(api())
      .get(getPath)
      .reply(200, current([0, 2]))
      .patch('/b1s/v1/Orders(17)', (body: Record<string, unknown>) => JSON.stringify(body['DocumentLines']) === JSON.stringify([{ ...order.DocumentLines[0], LineNum: 0 }, { ...order.DocumentLines[1], LineNum: 2 }, three.DocumentLines[2]]))
      .matchHeader('b1s-replacecollectionsonpatch', (v) => v === undefined)
      .reply(204)
      .get(getPath)
      .reply(200, current([0, 2, 3]))
      .patch('/b1s/v1/Orders(17)', { ...order, DocumentLines: [{ ...order.DocumentLines[0], LineNum: 0 }, { ...order.DocumentLines[1], LineNum: 2 }] })
      .matchHeader('b1s-replacecollectionsonpatch', 'true')
      .reply(204);
    const c = sap();
    expect(await c.upsert('Orders', [{ hubId: 'o1', payload: mapped(three), externalId: '17' }])).toEqual([{ ok: true, externalId: '17' }]);
    expect(await c.upsert('Orders', [{ hubId: 'o1', payload: mapped(order), externalId: '17' }])).toEqual([{ ok: true, externalId: '17' }]);
    allDone();
  });

  it('leaves a cancelled or closed order alone, and a refused order fails with SAP\'s field reference, not the value', async () => {
    login(api())
      .get(getPath)
      .reply(200, current([0], { Cancelled: 'tYES', DocumentStatus: 'bost_Close' }))
      .get(lookupPath)
      .reply(200, { value: [] })
      .post('/b1s/v1/Orders')
      .reply(400, sapError(-5002, "Invalid BP code [ORDR.CardCode] , 'C20000'"));
    const outcomes = await sap().upsert('Orders', [
      { hubId: 'o1', payload: mapped(order), externalId: '17' },
      { hubId: 'o2', payload: mapped(order) },
    ]);
    expect(outcomes).toEqual([
      { ok: false, kind: 'permanent', code: 'document_closed', message: 'sapb1 Orders: the document is cancelled in SAP B1 and is not changed' },
      { ok: false, kind: 'permanent', code: 'sap_-5002', message: 'sapb1: POST Orders was refused: HTTP 400 (SAP -5002 [ORDR.CardCode])' },
    ]);
    allDone();
  });

  it('two open orders with the hub\'s number are ambiguous; an answer without DocEntry is an unknown outcome', async () => {
    login(api())
      .get(lookupPath)
      .reply(200, { value: [{ DocEntry: 17, NumAtCard: 'SO-1001' }, { DocEntry: 18, NumAtCard: 'SO-1001' }] })
      .get(lookupPath)
      .reply(200, { value: [] })
      .post('/b1s/v1/Orders')
      .reply(201, { NumAtCard: 'SO-1001' });
    const outcomes = await sap().upsert('Orders', [{ hubId: 'o1', payload: mapped(order) }, { hubId: 'o2', payload: mapped(order) }]);
    expect(outcomes[0]).toMatchObject({ ok: false, kind: 'permanent', code: 'ambiguous_lookup' });
    expect(outcomes[1]).toMatchObject({ ok: false, kind: 'retryable', code: 'unknown_outcome' });
    allDone();
  });

  it('deletes by Cancel (or Close), and an order already cancelled or gone counts as deleted', async () => {
    login(api())
      .post('/b1s/v1/Orders(17)/Cancel')
      .reply(204)
      .post('/b1s/v1/Orders(18)/Cancel')
      .reply(400, sapError(-10, 'Document is already closed'))
      .get(`/b1s/v1/Orders(18)?$select=${encodeURIComponent('DocEntry,DocumentStatus,Cancelled')}`)
      .reply(200, { DocEntry: 18, DocumentStatus: 'bost_Close', Cancelled: 'tYES' })
      .post('/b1s/v1/Orders(19)/Cancel')
      .reply(404, NOT_FOUND);
    expect(await sap().delete!('Orders', ['17', '18', '19'])).toEqual([17, 18, 19].map((n) => ({ ok: true, externalId: String(n) })));
    allDone();
    nock.cleanAll();

    login(api()).post('/b1s/v1/Orders(17)/Close').reply(204);
    expect(await sap({ orderDelete: 'close' }).delete!('Orders', ['17'])).toEqual([{ ok: true, externalId: '17' }]);
    await expect(sap().delete!('BusinessPartners', ['C1'])).rejects.toMatchObject({ code: 'connector_not_deletable' });
    allDone();
  });
});

describe('SAP texts in messages', () => {
  it('keeps a text of words, else only its field references and line positions', () => {
    expect(sapSuffix(sapError(301, 'Invalid session or session already timeout.'))).toBe(' (SAP 301: Invalid session or session already timeout.)');
    expect(sapSuffix(sapError(-5002, 'Item number is missing; specify an item number [DocumentLines.ItemCode][line: 4]'))).toBe(' (SAP -5002 [DocumentLines.ItemCode][line: 4])');
    expect(sapSuffix(sapError(-1000, "Property 'U_Secret' of 'BusinessPartner' is invalid"))).toBe(' (SAP -1000)');
    expect(sapSuffix(sapError(-10, 'Customer Acme owes 1200 EUR'))).toBe(' (SAP -10)');
    // All letters, but it names what was sent (a name without quotes): not kept.
    expect(sapSuffix(sapError(-10, 'Partner Alpha Maschinenbau is frozen'), [{ CardName: 'Alpha Maschinenbau', CardCode: 'C1' }])).toBe(' (SAP -10)');
    expect(sapSuffix(sapError(-10, 'Partner is frozen'), [{ CardName: 'Alpha Maschinenbau' }])).toBe(' (SAP -10: Partner is frozen)');
    // Newer Service Layer builds: a string code and a plain message.
    expect(sapSuffix({ error: { code: '-2028', details: [{ code: '', message: '' }], message: 'No matching records found (ODBC -2028)' } })).toBe(' (SAP -2028)');
    expect(sapSuffix({ error: { code: 'x; drop', message: { value: 'Login failed' } } })).toBe(' (SAP: Login failed)');
  });

  it('numbers lines by position', () => {
    expect(numberLines([{ a: 1 }, { a: 2 }], [{ LineNum: 5 }, { LineNum: 0 }, { LineNum: 3 }])).toEqual({ lines: [{ a: 1, LineNum: 0 }, { a: 2, LineNum: 3 }], replace: true });
    expect(numberLines([{ a: 1 }, { a: 2 }], [])).toEqual({ lines: [{ a: 1 }, { a: 2 }], replace: false });
  });
});
