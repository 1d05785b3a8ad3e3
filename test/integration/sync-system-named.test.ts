import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers.js';
import { mappingDir } from './mappings/fixtures.js';
import { startJsonPeer, until, type JsonPeer } from './sync-fixtures.js';

/**
 * A target that names records itself (ERPNext's naming series): the payload carries no key, so the
 * first delivery creates and the answer's name becomes the id link; every later delivery of the
 * record updates that name (PUT …/<name>) instead of creating a second document. A create whose
 * answer is lost is retried; the lookup by the hub's code finds what the first attempt made.
 */

const FILES = {
  'series/schema.yaml': `
connector: series
links: [customer]
entities:
  customers:
    fields:
      name: { type: string }
      customer_name: { type: string, required: true }
      hub_code: { type: string }
`,
  'series/customer.out.yaml': `
name: series.customer.out
connector: series
entity: customer
direction: out
externalEntity: customers
fields:
  customer_name: { from: name }
  hub_code: { from: code }
`,
};

describe('a target that names its records', () => {
  let t: TestHub;
  let peer: JsonPeer;
  const docs = new Map<string, Record<string, unknown>>();
  const calls: string[] = [];
  let dropNextAnswer = false;
  const auth = () => ({ Authorization: `Bearer ${t.adminToken}` });

  beforeAll(async () => {
    peer = await startJsonPeer((req, body, json) => {
      calls.push(`${req.method} ${req.url}`);
      const url = new URL(req.url!, 'http://x');
      if (req.method === 'GET' && url.pathname === '/customers') {
        const code = url.searchParams.get('hub_code');
        return json(200, { data: [...docs.values()].filter((d) => d['hub_code'] === code) });
      }
      if (req.method === 'POST' && req.url === '/customers') {
        const name = `SER-${String(docs.size + 1).padStart(4, '0')}`;
        docs.set(name, { ...body, name });
        // The document is made, but the answer is lost on the way back.
        if (dropNextAnswer) {
          dropNextAnswer = false;
          req.socket.destroy();
          return;
        }
        return json(200, { data: { ...body, name } });
      }
      const name = decodeURIComponent(req.url!.split('/').pop()!);
      if (req.method === 'PUT' && docs.has(name)) {
        docs.set(name, { ...docs.get(name), ...body, name });
        return json(200, { data: docs.get(name) });
      }
      return json(404, { exc_type: 'DoesNotExistError' });
    });
    t = await startTestHub({
      workers: true,
      config: {
        mappings: { dirs: [mappingDir(FILES)] },
        connectors: {
          series: {
            type: 'http',
            baseUrl: peer.url,
            entities: {
              customers: { upsert: { path: '/customers', keyField: 'name', method: 'POST', responseField: 'data', idField: 'name', lookup: { field: 'hub_code', path: '/customers', query: { param: 'hub_code' } } } },
            },
          },
        },
        sync: { relayIntervalMs: 100, targets: { series: { entities: ['customer'], receiver: 'finance', backoffMs: 50 } } },
      },
    });
  });

  afterAll(async () => {
    await t?.close();
    await peer?.close();
  });

  it('creates once, then updates the document under the name the target gave it', async () => {
    const res = await t.api.post('/api/v1/customers').set(auth()).send({ code: 'N-1', name: 'Named Later GmbH', currency: 'EUR' });
    expect(res.status).toBe(201);
    const id = (res.body as { id: string }).id;
    await until('created in the target', () => (docs.size === 1 ? true : undefined));
    await until('linked', async () => ((await t.hub.store.links.byHub('series', 'customer', [id])).get(id)?.externalId === 'SER-0001' ? true : undefined));
    for (const name of ['Named Later AG', 'Named Later SE']) {
      expect((await t.api.patch(`/api/v1/customers/${id}`).set(auth()).send({ name })).status).toBe(200);
      await until(`the target has ${name}`, () => (docs.get('SER-0001')?.['customer_name'] === name ? true : undefined));
    }
    expect(docs.size).toBe(1);
    expect(calls).toEqual(['GET /customers?hub_code=N-1', 'POST /customers', 'PUT /customers/SER-0001', 'PUT /customers/SER-0001']);
  });

  it('a create whose answer was lost is not repeated: the retry finds the document by the hub code and updates it', async () => {
    calls.length = 0;
    dropNextAnswer = true;
    const res = await t.api.post('/api/v1/customers').set(auth()).send({ code: 'N-2', name: 'Lost Answer KG', currency: 'EUR' });
    expect(res.status).toBe(201);
    const id = (res.body as { id: string }).id;
    await until('linked after the retry', async () => ((await t.hub.store.links.byHub('series', 'customer', [id])).get(id)?.externalId === 'SER-0002' ? true : undefined));
    expect([...docs.values()].filter((d) => d['hub_code'] === 'N-2')).toHaveLength(1);
    expect(calls).toEqual(['GET /customers?hub_code=N-2', 'POST /customers', 'GET /customers?hub_code=N-2', 'PUT /customers/SER-0002']);
    expect(await t.hub.sync.deadLetters.list({}, 10)).toEqual([]);
  });
});
