import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADER_RESERVE_BYTES, MAX_HEADER_BYTES } from '../../openapi/app/client-error.js';
import { MAX_BODY_BYTES } from '../../openapi/app/router.js';
import { loadedSpec } from '../../openapi/app/spec.js';
import { startTestHub, type TestHub } from '../helpers.js';
import { documentedStatuses, expectDocumented, longestRequestHead } from './spec-support.js';

/** Sends raw bytes to the hub's HTTP server and returns the whole answer. */
function rawRequest(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

function parseRaw(answer: string): { status: number; headers: Record<string, string>; body: unknown } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: body ? JSON.parse(body) : undefined };
}

/**
 * Each disagreement a property-based tester found between openapi.yaml and the hub, pinned: the
 * hub answers as the spec says, with a status the spec lists for the operation.
 */
describe('the spec says exactly what the hub does', () => {
  let t: TestHub;
  let admin: Record<string, string>;

  beforeAll(async () => {
    t = await startTestHub();
    admin = { Authorization: `Bearer ${t.adminToken}` };
  });
  afterAll(async () => t?.close());

  describe('deletes that conflict answer a documented 409', () => {
    it('a customer still referenced by an order', async () => {
      const customer = await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-REF', name: 'Referenced AG', currency: 'EUR' });
      const product = await t.api.post('/api/v1/products').set(admin).send({ sku: 'SKU-REF', name: 'Pump', currency: 'EUR' });
      const order = await t.api.post('/api/v1/orders').set(admin).send({ number: 'SO-REF', customerId: customer.body.id, orderDate: '2026-01-02', currency: 'EUR', lines: [{ productId: product.body.id, quantity: '1', unitPrice: '1.00' }] });
      expect(order.status).toBe(201);
      expectDocumented(await t.api.delete(`/api/v1/customers/${customer.body.id}`).set(admin), 'deleteCustomer', 409);
    });

    it('a product that still has inventory', async () => {
      const product = await t.api.post('/api/v1/products').set(admin).send({ sku: 'SKU-INV', name: 'Valve', currency: 'EUR' });
      expect((await t.api.post('/api/v1/inventory').set(admin).send({ productId: product.body.id, warehouse: 'W1', onHand: '3' })).status).toBe(201);
      expectDocumented(await t.api.delete(`/api/v1/products/${product.body.id}`).set(admin), 'deleteProduct', 409);
    });

    it('a team that still has users', async () => {
      const team = await t.api.post('/api/v1/teams').set(admin).send({ name: 'North' });
      expect((await t.api.post('/api/v1/users').set(admin).send({ username: 'north.one', displayName: 'North One', roles: ['staff'], teamId: team.body.id, password: 'north-one-password' })).status).toBe(201);
      expectDocumented(await t.api.delete(`/api/v1/teams/${team.body.id}`).set(admin), 'deleteTeam', 409);
    });

    it('the caller deleting their own user', async () => {
      const me = await t.api.get('/api/v1/auth/me').set(admin);
      expectDocumented(await t.api.delete(`/api/v1/users/${me.body.id}`).set(admin), 'deleteUser', 409);
    });
  });

  describe('the server\'s own limits fit the spec and answer problem+json', () => {
    let url: string;
    beforeAll(async () => {
      url = (await t.hub.listen(0, '127.0.0.1')).url;
    });

    it('the spec states the limits the hub enforces', () => {
      const description = String((loadedSpec().document['info'] as { description: string }).description);
      expect(description).toContain(`up to ${MAX_HEADER_BYTES} bytes`);
      expect(description).toContain(`a body up to ${MAX_BODY_BYTES} bytes`);
      expect(description).toContain(`at least ${HEADER_RESERVE_BYTES} bytes`);
    });

    it('every operation\'s longest documented request leaves the reserve for ordinary headers', () => {
      for (const op of loadedSpec().operations) expect(longestRequestHead(op.operationId) + HEADER_RESERVE_BYTES, op.operationId).toBeLessThanOrEqual(MAX_HEADER_BYTES);
    });

    it('a 2,048-character cursor beside every other parameter at its maximum reaches the hub', async () => {
      const wide = '\u{1F600}'.repeat(200);
      const stamp = `2026-01-01T00:00:00.${'1'.repeat(38)}+01:00`;
      const query = new URLSearchParams({ limit: '500', cursor: 'A'.repeat(2048), actor: wide, action: wide, entity: wide, from: stamp, to: stamp });
      const res = await fetch(`${url}/api/v1/audit?${query}`, { headers: { Authorization: `Bearer ${t.adminToken}` } });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = (await res.json()) as { status: number; errors?: { pointer: string }[] };
      // Refused by the hub for what the cursor says (it was never issued), not by the parser for its length.
      expect(res.status).toBe(400);
      expect(body.errors?.map((e) => e.pointer)).toEqual(['/query/cursor']);
    });

    it('a request line over the limit answers 431 problem+json', async () => {
      const res = parseRaw(await rawRequest(url, `GET /api/v1/customers?q=${'x'.repeat(MAX_HEADER_BYTES)} HTTP/1.1\r\nHost: hub\r\n\r\n`));
      expect(res.status).toBe(431);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.body).toMatchObject({ status: 431, title: 'Request Header Fields Too Large' });
      expect(documentedStatuses('listCustomers')).toContain('431');
    });

    it('malformed HTTP answers 400 problem+json', async () => {
      const res = parseRaw(await rawRequest(url, 'GET /healthz HTTP/1.1\r\nHost hub\r\n\r\n'));
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.body).toMatchObject({ status: 400, title: 'Bad Request' });
    });
  });

  describe('parameters and codes are as exact in the spec as in the hub', () => {
    it('a listed currency is accepted; three capitals that are no currency are a documented 422, other text a 400', async () => {
      expectDocumented(await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-CUR-1', name: 'Franken AG', currency: 'CHF' }), 'createCustomer', 201);
      const unknown = await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-CUR-2', name: 'Nowhere AG', currency: 'ABC' });
      expectDocumented(unknown, 'createCustomer', 422);
      expect(unknown.body.errors).toEqual([{ pointer: '/currency', detail: 'is not an ISO 4217 currency code' }]);
      const lower = await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-CUR-3', name: 'Lower AG', currency: 'chf' });
      expectDocumented(lower, 'createCustomer', 400);
      expect(lower.body.errors).toEqual([{ pointer: '/currency', detail: 'must be a three-letter ISO 4217 currency code such as "EUR"' }]);
    });

    it('sort names a field of the list, refused by the spec\'s enum otherwise', async () => {
      expectDocumented(await t.api.get('/api/v1/customers').query({ sort: '-name' }).set(admin), 'listCustomers', 200);
      const res = await t.api.get('/api/v1/customers').query({ sort: 'phone' }).set(admin);
      expectDocumented(res, 'listCustomers', 400);
      expect(res.body.errors[0]).toMatchObject({ pointer: '/query/sort', detail: expect.stringContaining('must be one of') });
    });

    it('expand is a comma-separated list of the relations the spec lists for the entity', async () => {
      const customer = await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-EXP', name: 'Expand AG', currency: 'EUR' });
      const receivable = await t.api.post('/api/v1/receivables').set(admin).send({ number: 'INV-EXP', customerId: customer.body.id, issueDate: '2026-01-01', dueDate: '2026-02-01', currency: 'EUR', amount: '10.00' });
      expect(receivable.status).toBe(201);
      const payment = await t.api.post('/api/v1/payments').set(admin).send({ customerId: customer.body.id, receivableId: receivable.body.id, date: '2026-01-05', amount: '10.00', currency: 'EUR' });
      expect(payment.status).toBe(201);
      const read = await t.api.get(`/api/v1/payments/${payment.body.id}`).query({ expand: 'customer,receivable.customer' }).set(admin);
      expectDocumented(read, 'getPayment', 200);
      expect(read.body).toMatchObject({ customer: { id: customer.body.id }, receivable: { id: receivable.body.id, customer: { id: customer.body.id } } });
      for (const expand of ['order', 'customer,customer', 'customer.order', '']) {
        const res = await t.api.get(`/api/v1/payments/${payment.body.id}`).query({ expand }).set(admin);
        expectDocumented(res, 'getPayment', 400);
        expect(res.body.errors[0].pointer, expand).toMatch(/^\/query\/expand/);
      }
    });

    it('a malformed If-Match is refused by the spec\'s pattern, named as the spec names the header', async () => {
      const customer = await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-IFM', name: 'Tag AG', currency: 'EUR' });
      const res = await t.api.patch(`/api/v1/customers/${customer.body.id}`).set(admin).set('If-Match', '"1",,"2"').send({ name: 'Tagged AG' });
      expectDocumented(res, 'updateCustomer', 400);
      expect(res.body.errors).toEqual([{ pointer: '/header/If-Match', detail: 'must be * or a list of entity tags, such as "3"' }]);
      expectDocumented(await t.api.patch(`/api/v1/customers/${customer.body.id}`).set(admin).set('If-Match', '"1", W/"x",').send({ name: 'Tagged AG' }), 'updateCustomer', 200);
    });

    it('an email at a bare host is refused by the spec and the hub alike', async () => {
      const res = await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-MAIL', name: 'Mail AG', currency: 'EUR', email: 'user@host' });
      expectDocumented(res, 'createCustomer', 400);
      expect(res.body.errors).toEqual([{ pointer: '/email', detail: expect.stringContaining('must be an email address') }]);
      expectDocumented(await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-MAIL', name: 'Mail AG', currency: 'EUR', email: 'user@host.example' }), 'createCustomer', 201);
    });
  });

  describe('a caller who may not use an operation at all is refused before the request is validated', () => {
    let rep: Record<string, string>;
    beforeAll(async () => {
      expect((await t.api.post('/api/v1/users').set(admin).send({ username: 'rep.first', displayName: 'Rep First', roles: ['sales_rep'], password: 'rep-first-password' })).status).toBe(201);
      rep = { Authorization: `Bearer ${await t.login('rep.first', 'rep-first-password')}` };
    });

    it('a sales rep creating a product (no role of theirs writes products) gets 403, not the body\'s 400', async () => {
      expectDocumented(await t.api.post('/api/v1/products').set(rep).send({ colour: 'red' }), 'createProduct', 403);
      expectDocumented(await t.api.post('/api/v1/products').set(rep).set('Content-Type', 'application/json').send('{"sku": '), 'createProduct', 403);
    });

    it('a sales rep deleting a customer (no role of theirs deletes customers) gets 403 for their own, 404 for one they cannot see, never the header\'s 400', async () => {
      const own = await t.api.post('/api/v1/customers').set(rep).send({ code: 'C-REP-OWN', name: 'Own AG', currency: 'EUR' });
      expect(own.status).toBe(201);
      expectDocumented(await t.api.delete(`/api/v1/customers/${own.body.id}`).set(rep).set('If-Match', 'not-a-tag'), 'deleteCustomer', 403);
      const other = await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-REP-OTHER', name: 'Other AG', currency: 'EUR' });
      expectDocumented(await t.api.delete(`/api/v1/customers/${other.body.id}`).set(rep).set('If-Match', 'not-a-tag'), 'deleteCustomer', 404);
      expectDocumented(await t.api.delete('/api/v1/customers/no-such-customer').set(rep).set('If-Match', 'not-a-tag'), 'deleteCustomer', 404);
    });

    it('a role that reads nothing of an entity gets 403 on its list and lineage before the query is checked', async () => {
      expect((await t.api.post('/api/v1/users').set(admin).send({ username: 'staff.first', displayName: 'Staff First', roles: ['staff'], password: 'staff-first-password' })).status).toBe(201);
      const staff = { Authorization: `Bearer ${await t.login('staff.first', 'staff-first-password')}` };
      expectDocumented(await t.api.get('/api/v1/orders').query({ limit: 'many' }).set(staff), 'listOrders', 403);
      expectDocumented(await t.api.get('/api/v1/orders/bad id!/lineage').set(staff), 'getOrderLineage', 403);
    });

    it('a caller the policy lets in is still told what is wrong with the request', async () => {
      const res = await t.api.post('/api/v1/customers').set(rep).send({ colour: 'red' });
      expectDocumented(res, 'createCustomer', 400);
    });
  });

  describe('a body in a media type the operation does not take is a documented 415', () => {
    const customer = JSON.stringify({ code: 'C-MEDIA', name: 'Media AG', currency: 'EUR' });

    it('a create takes application/json only: merge-patch, another +json type or text are 415 with Accept-Post', async () => {
      for (const type of ['application/merge-patch+json', 'application/vnd.example+json', 'text/plain']) {
        const res = await t.api.post('/api/v1/customers').set(admin).set('Content-Type', type).send(customer);
        expectDocumented(res, 'createCustomer', 415);
        expect(res.headers['accept-post'], type).toBe('application/json');
        expect(res.body.errors).toEqual([{ pointer: '/header/Content-Type', detail: 'must be application/json' }]);
      }
      expectDocumented(await t.api.post('/api/v1/customers').set(admin).set('Content-Type', 'application/json; charset=utf-8').send(customer), 'createCustomer', 201);
    });

    it('an update takes application/json and application/merge-patch+json; others are 415 with Accept-Patch', async () => {
      const id = (await t.api.get('/api/v1/customers').query({ q: 'C-MEDIA' }).set(admin)).body.items[0].id as string;
      expectDocumented(await t.api.patch(`/api/v1/customers/${id}`).set(admin).set('Content-Type', 'application/merge-patch+json').send('{"name":"Media SE"}'), 'updateCustomer', 200);
      const res = await t.api.patch(`/api/v1/customers/${id}`).set(admin).set('Content-Type', 'application/json-patch+json').send('[{"op":"replace","path":"/name","value":"X"}]');
      expectDocumented(res, 'updateCustomer', 415);
      expect(res.headers['accept-patch']).toBe('application/json, application/merge-patch+json');
    });

    it('a charset the hub cannot read is 415, not 400', async () => {
      expectDocumented(await t.api.post('/api/v1/customers').set(admin).set('Content-Type', 'application/json; charset=iso-8859-1').send(customer), 'createCustomer', 415);
    });

    it('every operation that takes a body documents 415', () => {
      for (const op of loadedSpec().operations) if (op.body && op.operationId !== 'receiveWebhook') expect(documentedStatuses(op.operationId), op.operationId).toContain('415');
    });
  });

  describe('paths that do not overlap, and messages in plain English', () => {
    it('the bulk replay has a path of its own; the former one still answers the same, and is no dead letter id', async () => {
      const filter = { target: 'ledger', errorCode: 'no_such_code' };
      const now = await t.api.post('/api/v1/sync/dead-letter-replays').set(admin).send(filter);
      expectDocumented(now, 'replayDeadLetters', 200);
      const before = await t.api.post('/api/v1/sync/dead-letters/replay').set(admin).send(filter);
      expect([before.status, before.body]).toEqual([200, now.body]);
      const asId = await t.api.get('/api/v1/sync/dead-letters/replay').set(admin);
      expectDocumented(asId, 'getDeadLetter', 400);
      expect(asId.body.errors[0].pointer).toBe('/path/id');
    });

    it('an order, an inventory level: the article follows the sound', async () => {
      const customer = await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-WORDS', name: 'Words AG', currency: 'EUR' });
      const res = await t.api.post('/api/v1/receivables').set(admin).send({ number: 'INV-WORDS', customerId: customer.body.id, orderId: 'no-such-order', issueDate: '2026-01-01', dueDate: '2026-02-01', currency: 'EUR', amount: '1.00' });
      expectDocumented(res, 'createReceivable', 422);
      expect(res.body.errors).toEqual([{ pointer: '/orderId', detail: 'refers to an order that does not exist' }]);
      const product = await t.api.post('/api/v1/products').set(admin).send({ sku: 'SKU-WORDS', name: 'Words', currency: 'EUR' });
      expect((await t.api.post('/api/v1/inventory').set(admin).send({ productId: product.body.id, warehouse: 'W9', onHand: '1' })).status).toBe(201);
      const gone = await t.api.delete(`/api/v1/products/${product.body.id}`).set(admin);
      expect(gone.body.detail).toBe('The product is still referenced by an inventory level; delete or move those first');
    });
  });

  describe('statuses every operation can answer are documented on it', () => {
    it('an operation without security looks at no credential: a stale token does not turn a probe or a login into a 401', async () => {
      const stale = { Authorization: 'Bearer hubt_no-such-session' };
      expectDocumented(await t.api.get('/healthz').set(stale), 'health', 200);
      expectDocumented(await t.api.get('/api/v1').set(stale), 'getApiIndex', 200);
      expectDocumented(await t.api.post('/api/v1/auth/login').set(stale).send({ username: 'admin', password: 'admin-password-for-tests' }), 'login', 200);
      expectDocumented(await t.api.get('/api/v1/auth/me').set(stale), 'getMe', 401);
    });

    it('an unknown query parameter is a documented 400 on the probes too', async () => {
      for (const [path, op] of [['/healthz', 'health'], ['/readyz', 'ready'], ['/metrics', 'metrics']] as const) expectDocumented(await t.api.get(path).query({ verbose: '1' }), op, 400);
    });

    it('every operation the address restriction covers (all but the health probes) documents its 403', () => {
      for (const op of loadedSpec().operations) if (op.operationId !== 'health' && op.operationId !== 'ready') expect(documentedStatuses(op.operationId), op.operationId).toContain('403');
    });

    it('an order whose line total would not fit an amount is a documented 422 naming the line, never a 500', async () => {
      const customer = await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-HUGE', name: 'Huge AG', currency: 'EUR' });
      const product = await t.api.post('/api/v1/products').set(admin).send({ sku: 'SKU-HUGE', name: 'Huge', currency: 'EUR' });
      const res = await t.api.post('/api/v1/orders').set(admin).send({ number: 'SO-HUGE', customerId: customer.body.id, orderDate: '2026-01-02', currency: 'EUR', lines: [{ productId: product.body.id, quantity: '733929573.0438', unitPrice: '75437393' }, { productId: product.body.id, quantity: '1', unitPrice: '1.00', taxRate: '999' }] });
      expectDocumented(res, 'createOrder', 422);
      expect(res.body.errors).toEqual([
        { pointer: '/lines/0/lineTotal', detail: 'comes to more than 16 digits before the point, more than the field can hold' },
        { pointer: '/lines/1/taxRate', detail: 'must be between 0 and 100' },
      ]);
    });

    it('a leap second, which RFC 3339 and the spec allow, is an instant like any other (no 400, no 500)', async () => {
      expectDocumented(await t.api.get('/api/v1/customers').query({ updatedSince: '2016-12-31T23:59:60Z' }).set(admin), 'listCustomers', 200);
      const key = await t.api.post('/api/v1/api-keys').set(admin).send({ name: 'leap', roles: ['staff'], expiresAt: '2090-12-31T23:59:60Z' });
      expectDocumented(key, 'createApiKey', 201);
      expect(key.body.expiresAt).toBe('2091-01-01T00:00:00.000Z');
      const offset = await t.api.post('/api/v1/api-keys').set(admin).send({ name: 'offset', roles: ['staff'], expiresAt: '2090-06-30T12:00:00+02:00' });
      expect(offset.body.expiresAt).toBe('2090-06-30T10:00:00.000Z');
    });

    it('an order\'s total may be wider than one amount (OrderTotal): accepted, answered and within the spec', async () => {
      const customer = await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-WIDE', name: 'Wide AG', currency: 'EUR' });
      const product = await t.api.post('/api/v1/products').set(admin).send({ sku: 'SKU-WIDE', name: 'Wide', currency: 'EUR' });
      const res = await t.api.post('/api/v1/orders').set(admin).send({ number: 'SO-WIDE', customerId: customer.body.id, orderDate: '2026-01-02', currency: 'EUR', lines: [{ productId: product.body.id, quantity: '1000000', unitPrice: '9999999999.99', taxRate: '19' }], total: '11899999999988100' });
      expectDocumented(res, 'createOrder', 201);
      expect(res.body).toMatchObject({ subtotal: '9999999999990000.00', total: '11899999999988100.00' });
    });
  });
});
