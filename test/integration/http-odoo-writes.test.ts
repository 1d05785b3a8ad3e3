import { isDeepStrictEqual } from 'node:util';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createOdooConnector } from '../../connectors/odoo/connector.js';
import { mapped } from '../fixtures/mapped.js';
import { offlineWithNock } from '../fixtures/nock.js';

/**
 * Odoo writes over JSON-RPC, against the bodies Odoo documents: `create` with a list of values answers
 * the new ids, `write([ids], vals)` answers true, one2many commands `[0, 0, vals]` / `[1, id, vals]` /
 * `[2, id]` (odoo/fields.py Command), errors in the JSON-RPC envelope. Each test asserts the exact
 * execute_kw arguments the hub sent.
 */

const BASE = 'https://erp.example.com';
const DB = 'mycompany';
const LOGIN = 'integration@example.com';
const PASSWORD = 'f00dfeed5eed';
const UID = 7;

offlineWithNock();

const odoo = () => createOdooConnector({ baseUrl: BASE, protocol: 'jsonrpc', database: DB, login: LOGIN, password: PASSWORD });

interface Envelope {
  id: number;
  params: { service: string; method: string; args: unknown[] };
}
type Answer = { result: unknown } | { error: unknown };

function expectCall(scope: nock.Scope, service: string, method: string, args: unknown[], answer: Answer, headers: Record<string, string> = {}): nock.Scope {
  return scope
    .post('/jsonrpc', (body: Envelope) => isDeepStrictEqual(body.params, { service, method, args }))
    .reply(200, (_uri, body) => ({ jsonrpc: '2.0', id: (body as Envelope).id, ...answer }), headers);
}
const login = (scope: nock.Scope) => expectCall(scope, 'common', 'login', [DB, LOGIN, PASSWORD], { result: UID });
const execute = (scope: nock.Scope, model: string, method: string, args: unknown[], kwargs: Record<string, unknown>, answer: Answer) => expectCall(scope, 'object', 'execute_kw', [DB, UID, PASSWORD, model, method, args, kwargs], answer);
const odooError = (name: string, message: string) => ({ code: 200, message: 'Odoo Server Error', data: { name, debug: `Traceback (most recent call last):\n${name}: ${message}`, message, arguments: [message], context: {} } });

const CUSTOMER_CREATE = { context: { active_test: false, res_partner_search_mode: 'customer' } };

describe('Odoo upsert of customers: lookup by ref before create, one outcome per record', () => {
  it('creates the new, updates the one an earlier try made, and refuses the invalid one alone with Odoo’s words withheld', async () => {
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'res.partner', 'search_read', [[['parent_id', '=', false], ['ref', 'in', ['C-1', 'C-2', 'C-3']]]], { fields: ['id', 'ref'], context: { active_test: false } }, { result: [{ id: 40, ref: 'C-2' }] });
    // The country is written by code: looked up once, then remembered.
    execute(scope, 'res.country', 'search_read', [[['code', '=', 'DE']]], { fields: ['id'], limit: 2 }, { result: [{ id: 57 }] });
    execute(scope, 'res.partner', 'create', [[{ ref: 'C-1', name: 'Alpha GmbH', is_company: true, country_id: 57, email: false }]], CUSTOMER_CREATE, { result: [41] });
    execute(scope, 'res.partner', 'write', [[40], { ref: 'C-2', name: 'Beta AG', is_company: true, country_id: 57 }], { context: { active_test: false } }, { result: true });
    execute(scope, 'res.partner', 'create', [[{ ref: 'C-3', name: 'Gamma KG', is_company: true, vat: 'XX12' }]], CUSTOMER_CREATE, {
      error: odooError('odoo.exceptions.ValidationError', 'The VAT number [XX12] for partner [Gamma KG] does not seem to be valid. \nNote: the expected format is DE123456789'),
    });
    const outcomes = await odoo().upsert('res.partner', [
      { hubId: 'h1', payload: mapped({ ref: 'C-1', name: 'Alpha GmbH', is_company: true, country_id: 'DE', email: null }) },
      { hubId: 'h2', payload: mapped({ ref: 'C-2', name: 'Beta AG', is_company: true, country_id: 'DE' }) },
      { hubId: 'h3', payload: mapped({ ref: 'C-3', name: 'Gamma KG', is_company: true, vat: 'XX12' }) },
    ]);
    expect(outcomes).toEqual([
      { ok: true, externalId: '41' },
      { ok: true, externalId: '40' },
      { ok: false, kind: 'permanent', code: 'validation', message: 'res.partner.create failed (odoo.exceptions.ValidationError): its message is withheld, as it may quote a record value' },
    ]);
    scope.done();
  });

  it('keeps Odoo’s message where it quotes no value, and never the traceback', async () => {
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'res.partner', 'search_read', [[['parent_id', '=', false], ['ref', 'in', ['C-9']]]], { fields: ['id', 'ref'], context: { active_test: false } }, { result: [] });
    execute(scope, 'res.partner', 'create', [[{ ref: 'C-9', is_company: true }]], CUSTOMER_CREATE, {
      error: odooError('odoo.exceptions.ValidationError', 'The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: Contact (res.partner)\nField: Name (name)\n'),
    });
    const [outcome] = await odoo().upsert('res.partner', [{ hubId: 'h9', payload: mapped({ ref: 'C-9', is_company: true }) }]);
    expect(outcome).toEqual({ ok: false, kind: 'permanent', code: 'validation', message: 'res.partner.create failed (odoo.exceptions.ValidationError): The operation cannot be completed:' });
    scope.done();
  });

  it('writes to the linked id without a lookup; a record deleted in Odoo since is made again', async () => {
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'res.partner', 'write', [[40], { ref: 'C-2', name: 'Beta AG' }], { context: { active_test: false } }, { result: true });
    execute(scope, 'res.partner', 'write', [[39], { ref: 'C-5', name: 'Zeta' }], { context: { active_test: false } }, { error: odooError('odoo.exceptions.MissingError', 'Record does not exist or has been deleted.\n(Record: res.partner(39,), User: 7)') });
    execute(scope, 'res.partner', 'search_read', [[['parent_id', '=', false], ['ref', 'in', ['C-5']]]], { fields: ['id', 'ref'], context: { active_test: false } }, { result: [] });
    execute(scope, 'res.partner', 'create', [[{ ref: 'C-5', name: 'Zeta' }]], CUSTOMER_CREATE, { result: [52] });
    const outcomes = await odoo().upsert('res.partner', [
      { hubId: 'h2', payload: mapped({ ref: 'C-2', name: 'Beta AG' }), externalId: '40' },
      { hubId: 'h5', payload: mapped({ ref: 'C-5', name: 'Zeta' }), externalId: '39' },
    ]);
    expect(outcomes).toEqual([{ ok: true, externalId: '40' }, { ok: true, externalId: '52' }]);
    scope.done();
  });

  it('refuses a record two Odoo partners hold the ref of, and a lookup answer it cannot read', async () => {
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'res.partner', 'search_read', [[['parent_id', '=', false], ['ref', 'in', ['C-7']]]], { fields: ['id', 'ref'], context: { active_test: false } }, { result: [{ id: 1, ref: 'C-7' }, { id: 2, ref: 'C-7' }] });
    const [outcome] = await odoo().upsert('res.partner', [{ hubId: 'h7', payload: mapped({ ref: 'C-7', name: 'Twice' }) }]);
    expect(outcome).toMatchObject({ ok: false, kind: 'permanent', code: 'ambiguous_lookup' });
    // A malformed lookup answer: nothing is created.
    scope.post('/jsonrpc').reply(200, (_u, body) => ({ jsonrpc: '2.0', id: (body as Envelope).id, result: { unexpected: true } }));
    const outcomes = await odoo().upsert('res.partner', [{ hubId: 'h8', payload: mapped({ ref: 'C-8', name: 'Eight' }) }]);
    expect(outcomes[0]).toMatchObject({ ok: false });
    scope.done();
  });

  it('makes a throttled create retryable with Retry-After and sends nothing more of the batch', async () => {
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'res.partner', 'search_read', [[['parent_id', '=', false], ['ref', 'in', ['T-1', 'T-2']]]], { fields: ['id', 'ref'], context: { active_test: false } }, { result: [] });
    scope.post('/jsonrpc').reply(429, 'Too Many Requests', { 'retry-after': '2' });
    const outcomes = await odoo().upsert('res.partner', [
      { hubId: 't1', payload: mapped({ ref: 'T-1', name: 'One' }) },
      { hubId: 't2', payload: mapped({ ref: 'T-2', name: 'Two' }) },
    ]);
    expect(outcomes[0]).toMatchObject({ ok: false, kind: 'retryable', code: 'rate_limited', retryAfterMs: 2000 });
    expect(outcomes[1]).toMatchObject({ ok: false, kind: 'retryable', code: 'rate_limited', attempted: false });
    scope.done();
  });

  it('reports a create answer without an id as an unknown outcome (retried through the lookup)', async () => {
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'res.partner', 'search_read', [[['parent_id', '=', false], ['ref', 'in', ['U-1']]]], { fields: ['id', 'ref'], context: { active_test: false } }, { result: [] });
    execute(scope, 'res.partner', 'create', [[{ ref: 'U-1', name: 'Unknown' }]], CUSTOMER_CREATE, { result: 'done' });
    const [outcome] = await odoo().upsert('res.partner', [{ hubId: 'u1', payload: mapped({ ref: 'U-1', name: 'Unknown' }) }]);
    expect(outcome).toMatchObject({ ok: false, kind: 'retryable', code: 'unknown_outcome' });
    scope.done();
  });

  it('archives for a delete (write active false); a record already gone is deleted', async () => {
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'res.partner', 'write', [[40], { active: false }], { context: { active_test: false } }, { result: true });
    execute(scope, 'res.partner', 'write', [[41], { active: false }], { context: { active_test: false } }, { error: odooError('odoo.exceptions.MissingError', 'Record does not exist or has been deleted.') });
    expect(await odoo().delete!('res.partner/contact', ['40', '41'])).toEqual([{ ok: true, externalId: '40' }, { ok: true, externalId: '41' }]);
    scope.done();
  });
});

describe('Odoo sale orders: lines as one2many commands against the current lines', () => {
  const LINE_FIELDS = ['id', 'sequence', 'display_type', 'product_id', 'name', 'product_uom_qty', 'price_unit', 'discount', 'state'];
  const line = (id: number, product: number, qty: number, price: number, state = 'draft') => ({ id, sequence: 10, display_type: false, product_id: [product, `[P${product}] Product`], name: `[P${product}] Product`, product_uom_qty: qty, price_unit: price, discount: 0, state });
  const payload = mapped({
    client_order_ref: 'SO-2026-0042',
    partner_id: '12',
    date_order: '2026-11-20 12:00:00',
    order_line: [
      { product_id: '6', name: null, product_uom_qty: 3, price_unit: 9.5, discount: 0 },
      { product_id: '5', name: null, product_uom_qty: 2, price_unit: 10, discount: 0 },
      { product_id: '8', name: 'Cable', product_uom_qty: 1, price_unit: 4.25, discount: 10 },
    ],
  });

  it('updates changed lines in place, creates new ones, removes dropped ones from a quotation: never [5] and re-create', async () => {
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'sale.order.line', 'search_read', [[['order_id', '=', 77]]], { fields: LINE_FIELDS, order: 'sequence asc, id asc' }, { result: [line(301, 5, 2, 10), line(302, 6, 1, 9.5), line(303, 9, 4, 1), { ...line(304, 0, 0, 0), display_type: 'line_note', product_id: false, name: 'Deliver to gate 3' }] });
    execute(scope, 'sale.order', 'write', [[77], { client_order_ref: 'SO-2026-0042', partner_id: 12, date_order: '2026-11-20 12:00:00', order_line: [[1, 302, { product_uom_qty: 3 }], [0, 0, { product_id: 8, name: 'Cable', product_uom_qty: 1, price_unit: 4.25, discount: 10 }], [2, 303]] }], {}, { result: true });
    expect(await odoo().upsert('sale.order', [{ hubId: 'o1', payload, externalId: '77' }])).toEqual([{ ok: true, externalId: '77' }]);
    scope.done();
  });

  it('sets a dropped line of a confirmed order to quantity 0 (Odoo refuses to remove it)', async () => {
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'sale.order.line', 'search_read', [[['order_id', '=', 77]]], { fields: LINE_FIELDS, order: 'sequence asc, id asc' }, { result: [line(301, 5, 2, 10, 'sale'), line(302, 6, 3, 9.5, 'sale'), line(303, 9, 4, 1, 'sale')] });
    execute(scope, 'sale.order', 'write', [[77], { client_order_ref: 'SO-2026-0042', partner_id: 12, date_order: '2026-11-20 12:00:00', order_line: [[0, 0, { product_id: 8, name: 'Cable', product_uom_qty: 1, price_unit: 4.25, discount: 10 }], [1, 303, { product_uom_qty: 0 }]] }], {}, { result: true });
    expect(await odoo().upsert('sale.order', [{ hubId: 'o1', payload, externalId: '77' }])).toEqual([{ ok: true, externalId: '77' }]);
    scope.done();
  });

  it('creates an order with its lines as [0, 0, vals] after looking up client_order_ref', async () => {
    const scope = nock(BASE);
    login(scope);
    execute(scope, 'sale.order', 'search_read', [[['client_order_ref', 'in', ['SO-2026-0042']]]], { fields: ['id', 'client_order_ref'], context: { active_test: false } }, { result: [] });
    execute(scope, 'sale.order', 'create', [[{ client_order_ref: 'SO-2026-0042', partner_id: 12, date_order: '2026-11-20 12:00:00', order_line: [[0, 0, { product_id: 6, product_uom_qty: 3, price_unit: 9.5, discount: 0 }], [0, 0, { product_id: 5, product_uom_qty: 2, price_unit: 10, discount: 0 }], [0, 0, { product_id: 8, name: 'Cable', product_uom_qty: 1, price_unit: 4.25, discount: 10 }]] }]], {}, { result: [78] });
    expect(await odoo().upsert('sale.order', [{ hubId: 'o1', payload }])).toEqual([{ ok: true, externalId: '78' }]);
    scope.done();
  });

  it('refuses a line whose product is not a record id, naming the field, and sends nothing', async () => {
    // No interceptor: any request would fail the test (nock refuses connections off this machine).
    const scope = nock(BASE);
    const bad = mapped({ client_order_ref: 'SO-1', partner_id: '12', order_line: [{ product_id: 'unlinked:abc', product_uom_qty: 1 }] });
    const [outcome] = await odoo().upsert('sale.order', [{ hubId: 'o2', payload: bad, externalId: '5' }]);
    expect(outcome).toEqual({ ok: false, kind: 'permanent', code: 'invalid_payload', message: 'odoo: order_line.0.product_id is not a record id' });
    scope.done();
  });
});
