import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedSpec, type OperationSpec } from '../../openapi/app/spec.js';
import { startTestHub, type TestHub } from '../helpers.js';
import { closedObject, valid } from './schema-arbitrary.js';
import { documentedStatuses } from './spec-support.js';

/**
 * Requests generated from openapi.yaml with fast-check, sent as an administrator and as a sales rep:
 * a request the spec calls valid is accepted (answered with a status the spec lists for the
 * operation, never refused for its form: no 400, 415 or 431), and a request made invalid in one
 * place is refused as the spec says (400 or 415, problem+json; for a rep the operation may also be
 * closed: 403, or 404 for a record the rep cannot see). Every answer is one the spec lists; every
 * refusal is problem+json; the test hub validates every success body against the spec.
 */

/** Cases per principal; FUZZ_RUNS=<n> runs more (a few hundred in all by default, ≈ 10 s). */
const RUNS = { valid: Number(process.env['FUZZ_RUNS'] ?? 110), invalid: Number(process.env['FUZZ_RUNS'] ?? 70) };
/** Logging out would end the session the test runs with. */
const SKIPPED = new Set(['logout', 'deleteSession']);
/** Cursors are opaque: one the hub did not issue is refused (400) for what it says, not for its form. */
const OPAQUE_PARAMS = new Set(['cursor']);

interface Generated {
  readonly op: OperationSpec;
  readonly params: Record<string, string>;
  readonly query: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly contentType?: string;
  /** For an invalid request: what was broken, and the status the spec gives for it. */
  readonly broken?: { readonly what: string; readonly status: 400 | 415 };
}

type Pools = Record<string, string[]>;

const spec = loadedSpec();
const document = spec.document;

/** The record kind an operation's `{id}` names, from its path (`/api/v1/orders/{id}` → orders). */
function poolOf(op: OperationSpec): string | undefined {
  return /^\/api\/v1\/([a-z-]+)\/\{id\}/.exec(op.path)?.[1];
}

const headerValue = fc.string({ unit: fc.constantFrom('a', 'B', '0', '-', '_', '.', ':', '~', ' ', '!'), minLength: 1, maxLength: 40 }).filter((v) => v.trim() === v);

function text(value: unknown): string {
  return Array.isArray(value) ? value.map(String).join(',') : String(value);
}

function validRequest(op: OperationSpec, pools: Pools): fc.Arbitrary<Generated> {
  const options = { document, known: (property: string) => (property.endsWith('Id') ? pools[property] : undefined) };
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query' && !OPAQUE_PARAMS.has(p.name));
  const headerParams = op.parameters.filter((p) => p.in === 'header');
  const pool = poolOf(op);
  const path = fc.record(
    Object.fromEntries(
      pathParams.map((p) => {
        const generated = valid(p.schema, options);
        const known = p.name === 'id' && pool ? pools[pool] : undefined;
        return [p.name, known && known.length > 0 ? fc.oneof({ arbitrary: fc.constantFrom(...known), weight: 4 }, { arbitrary: generated, weight: 1 }) : generated];
      }),
    ),
  );
  const query = fc.record(Object.fromEntries(queryParams.map((p) => [p.name, valid(p.schema, options).map(text)])), { requiredKeys: queryParams.filter((p) => p.required).map((p) => p.name) });
  const headers = fc.record(
    Object.fromEntries(headerParams.map((p) => [p.name, p.name === 'If-Match' ? (valid(p.schema, options) as fc.Arbitrary<string>) : headerValue])),
    { requiredKeys: headerParams.filter((p) => p.required).map((p) => p.name) },
  );
  const body = op.body ? fc.tuple(valid(op.body.schema, options), fc.constantFrom(...op.body.mediaTypes)) : fc.constant(undefined);
  return fc.record({ path, query, headers, body }).map(({ path: values, query: q, headers: h, body: b }) => ({
    op,
    params: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, text(v)])),
    query: q as Record<string, string>,
    headers: h as Record<string, string>,
    ...(b ? { body: JSON.stringify(b[0]), contentType: b[1] } : {}),
  }));
}

/** One way to break a valid request of `op`, and the status the spec gives for it. */
function breakings(op: OperationSpec): ((g: Generated) => Generated)[] {
  const out: ((g: Generated) => Generated)[] = [
    (g) => ({ ...g, query: { ...g.query, zz_unknown: '1' }, broken: { what: 'an unknown query parameter', status: 400 } }),
  ];
  const limit = op.parameters.find((p) => p.in === 'query' && p.name === 'limit');
  if (limit) out.push((g) => ({ ...g, query: { ...g.query, limit: '0' }, broken: { what: 'limit below its minimum', status: 400 } }));
  const enumParam = op.parameters.find((p) => p.in === 'query' && Array.isArray((p.schema as { enum?: unknown }).enum));
  if (enumParam) out.push((g) => ({ ...g, query: { ...g.query, [enumParam.name]: 'not-listed' }, broken: { what: `${enumParam.name} not in its enum`, status: 400 } }));
  if (op.parameters.some((p) => p.in === 'path' && p.name === 'id')) out.push((g) => ({ ...g, params: { ...g.params, id: 'bad id!' }, broken: { what: 'a malformed id', status: 400 } }));
  if (op.parameters.some((p) => p.name === 'If-Match')) out.push((g) => ({ ...g, headers: { ...g.headers, 'If-Match': 'v1' }, broken: { what: 'a malformed If-Match', status: 400 } }));
  if (op.body) {
    out.push((g) => ({ ...g, body: JSON.stringify(g.body === undefined ? 'x' : ['not', 'an', 'object']), contentType: 'application/json', broken: { what: 'a body of the wrong type', status: 400 } }));
    out.push((g) => ({ ...g, contentType: 'text/plain', body: g.body ?? '{}', broken: { what: 'a body as text/plain', status: 415 } }));
    if (op.method === 'post') out.push((g) => ({ ...g, contentType: 'application/merge-patch+json', body: g.body ?? '{}', broken: { what: 'merge-patch on a create', status: 415 } }));
    if (closedObject(op.body.schema, document)) {
      out.push((g) => {
        const value = g.body !== undefined ? (JSON.parse(g.body) as unknown) : {};
        const object = value && typeof value === 'object' && !Array.isArray(value) ? value : {};
        return { ...g, body: JSON.stringify({ ...object, zz_unknown: 1 }), contentType: 'application/json', broken: { what: 'an unknown body property', status: 400 } };
      });
    }
  }
  return out;
}

function invalidRequest(op: OperationSpec, pools: Pools): fc.Arbitrary<Generated> {
  return fc.tuple(validRequest(op, pools), fc.constantFrom(...breakings(op))).map(([g, breakIt]) => breakIt(g));
}

describe.each(['admin', 'rep'] as const)('requests generated from the spec, as %s', (who) => {
  let t: TestHub;
  let auth: string;
  const pools: Pools = {};
  const ops = spec.operations.filter((op) => !SKIPPED.has(op.operationId));

  beforeAll(async () => {
    t = await startTestHub();
    const admin = { Authorization: `Bearer ${t.adminToken}` };
    const post = async (path: string, body: object): Promise<string> => {
      const res = await t.api.post(path).set(admin).send(body);
      if (res.status !== 201) throw new Error(`fixture ${path}: ${res.status} ${res.text}`);
      return String(res.body.id);
    };
    const team = await post('/api/v1/teams', { name: 'Fuzz team' });
    const repUser = await post('/api/v1/users', { username: 'fuzz.rep', displayName: 'Fuzz Rep', roles: ['sales_rep'], teamId: team, password: 'fuzz-rep-password' });
    const victim = await post('/api/v1/users', { username: 'fuzz.other', displayName: 'Fuzz Other', roles: ['staff'], password: 'fuzz-other-password' });
    const customers = [await post('/api/v1/customers', { code: 'F-1', name: 'Fuzz AG', currency: 'EUR' }), await post('/api/v1/customers', { code: 'F-2', name: 'Rep GmbH', currency: 'EUR', ownerId: repUser, teamId: team })];
    const product = await post('/api/v1/products', { sku: 'F-SKU', name: 'Fuzz pump', currency: 'EUR', listPrice: '10.00' });
    const order = await post('/api/v1/orders', { number: 'F-SO', customerId: customers[1], ownerId: repUser, orderDate: '2026-01-02', currency: 'EUR', lines: [{ productId: product, quantity: '1', unitPrice: '10.00' }] });
    const receivable = await post('/api/v1/receivables', { number: 'F-INV', customerId: customers[1], orderId: order, ownerId: repUser, issueDate: '2026-01-02', dueDate: '2026-02-01', currency: 'EUR', amount: '10.00' });
    Object.assign(pools, {
      customers, customerId: customers,
      products: [product], productId: [product],
      orders: [order], orderId: [order],
      receivables: [receivable], receivableId: [receivable],
      payments: [await post('/api/v1/payments', { customerId: customers[1], receivableId: receivable, ownerId: repUser, date: '2026-01-03', amount: '5.00', currency: 'EUR' })],
      contacts: [await post('/api/v1/contacts', { customerId: customers[1], firstName: 'Fuzz', lastName: 'Contact', ownerId: repUser })],
      inventory: [await post('/api/v1/inventory', { productId: product, warehouse: 'W1', onHand: '4' })],
      teams: [team], teamId: [team],
      users: [victim], ownerId: [repUser, victim],
    });
    auth = `Bearer ${who === 'admin' ? t.adminToken : await t.login('fuzz.rep', 'fuzz-rep-password')}`;
  });
  afterAll(async () => t?.close());

  async function send(g: Generated) {
    const query = new URLSearchParams(g.query).toString();
    const path = g.op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(g.params[name] ?? ''));
    let req = t.api[g.op.method](`${path}${query ? `?${query}` : ''}`).set('Authorization', auth);
    for (const [k, v] of Object.entries(g.headers)) req = req.set(k, v);
    if (g.body !== undefined) req = req.set('Content-Type', g.contentType ?? 'application/json').send(g.body);
    const res = await req;
    const where = `${g.op.operationId} ${g.op.method.toUpperCase()} ${path}?${query} ${JSON.stringify(g.headers)} ${g.contentType ?? ''} ${g.body ?? ''}${g.broken ? ` [${g.broken.what}]` : ''} → ${res.status} ${res.text.slice(0, 400)}`;
    expect(documentedStatuses(g.op.operationId), `undocumented status: ${where}`).toContain(String(res.status));
    if (res.status >= 400) {
      expect(res.headers['content-type'], where).toMatch(/^application\/problem\+json/);
      expect(res.body, where).toMatchObject({ status: res.status, type: expect.any(String), title: expect.any(String) });
    }
    return { res, where };
  }

  it('valid requests are accepted and answered with a documented status', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ops).chain((op) => validRequest(op, pools)), async (g) => {
        const { res, where } = await send(g);
        // The only 400 a valid request may get is the policy's: a query on a field the caller cannot see.
        const policyRefusal = res.status === 400 && res.body.detail === 'The query uses fields you cannot see';
        expect([400, 415, 431].includes(res.status) && !policyRefusal, `refused a valid request: ${where}`).toBe(false);
      }),
      { numRuns: RUNS.valid, endOnFailure: true },
    );
  }, 60_000);

  it('requests made invalid in one place are refused as documented', async () => {
    const invalidOps = ops.filter((op) => op.operationId !== 'receiveWebhook');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...invalidOps).chain((op) => invalidRequest(op, pools)), async (g) => {
        const { res, where } = await send(g);
        const allowed = who === 'admin' ? [g.broken?.status] : [g.broken?.status, 403, 404];
        expect(allowed, `not refused as documented: ${where}`).toContain(res.status);
      }),
      { numRuns: RUNS.invalid, endOnFailure: true },
    );
  }, 60_000);
});
