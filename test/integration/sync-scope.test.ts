import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers.js';
import { mappingDir } from './mappings/fixtures.js';
import { sinkFiles, startJsonPeer, until, type JsonPeer } from './sync-fixtures.js';

/**
 * A record that leaves a target's rows (the policy's `where` for the target) while the target holds
 * a copy: with deletes allowed the copy is withdrawn (deleted there, link dropped, counted
 * `withdrawn`), and delivered again when the record comes back; with deletes off it stays, counted
 * `left_scope`, and no later change of the record reaches the target while it is outside.
 */

/** The sink mappings under another connector name (the same `finance` policy target). */
function filesFor(connector: string): Record<string, string> {
  return Object.fromEntries(Object.entries(sinkFiles({ currency: true })).map(([path, text]) => [path.replace(/^sink\//, `${connector}/`), text.replace(/\bsink\b/g, connector)]));
}

describe.sequential('records leaving a target’s rows', () => {
  let t: TestHub;
  let peer: JsonPeer;
  /** Per connector: code → the last record received; deletes by code. */
  const held: Record<string, Map<string, Record<string, unknown>>> = { withdraw: new Map(), keep: new Map(), twoway: new Map() };
  const posts: Record<string, number> = { withdraw: 0, keep: 0, twoway: 0 };
  const deletes: string[] = [];
  const auth = () => ({ Authorization: `Bearer ${t.adminToken}` });

  beforeAll(async () => {
    peer = await startJsonPeer((req, body, reply) => {
      const [, connector, resource, key] = req.url!.split('/');
      const store = held[connector!]!;
      if (req.method === 'DELETE' && resource === 'customers') {
        deletes.push(decodeURIComponent(key!));
        store.delete(decodeURIComponent(key!));
        return reply(204);
      }
      const records = (body as { records: { code: string }[] }).records;
      posts[connector!]! += records.length;
      for (const r of records) store.set(r.code, r);
      reply(200, { results: records.map((r) => ({ id: r.code })) });
    });
    const base = peer.url;
    // The shipped policy, but the finance target sees only customers billed in EUR or CHF.
    const shipped = readFileSync(new URL('../../core/policy/default-policy.yaml', import.meta.url), 'utf8');
    const line = '      customer: { rows: all, read: { allow: [$customer.identity, $address.billing, currency] } }';
    expect(shipped).toContain(line);
    // `twoway` allows deletes but is also read by the hub (an inbound mapping): it may own records, so none is deleted there.
    const twowayIn = `
name: twoway.customer.in
connector: twoway
entity: customer
direction: in
externalEntity: customers
fields:
  code: { from: code }
  name: { from: name }
  currency: { from: currency }
`;
    const dir = mappingDir({ ...filesFor('withdraw'), ...filesFor('keep'), ...filesFor('twoway'), 'twoway/customer.in.yaml': twowayIn });
    const policyFile = join(mkdtempSync(join(tmpdir(), 'hub-policy-')), 'policy.yaml');
    writeFileSync(policyFile, shipped.replace(line, '      customer: { rows: { where: { field: currency, in: [EUR, CHF] } }, read: { allow: [$customer.identity, $address.billing, currency] } }'));
    const http = (connector: string) => ({ type: 'http' as const, baseUrl: `${base}/${connector}`, entities: { customers: { batch: { path: '/batch', idField: 'id' }, delete: { path: '/customers' } } } });
    t = await startTestHub({
      workers: true,
      config: {
        policy: { file: policyFile },
        mappings: { dirs: [dir] },
        connectors: { withdraw: http('withdraw'), keep: http('keep'), twoway: http('twoway') },
        sync: {
          relayIntervalMs: 100,
          targets: { withdraw: { entities: ['customer'], receiver: 'finance', deletes: true }, keep: { entities: ['customer'], receiver: 'finance', deletes: false }, twoway: { entities: ['customer'], receiver: 'finance', deletes: true } },
        },
      },
    });
  });

  afterAll(async () => {
    await t?.close();
    await peer?.close();
  });

  const patch = async (id: string, body: Record<string, unknown>) => expect((await t.api.patch(`/api/v1/customers/${id}`).set(auth()).send(body)).status).toBe(200);
  const stat = async (target: string) => (await t.hub.sync.stats.get(target, 'customer', 'out')).counts;
  const drained = async () => {
    for (const name of ['withdraw', 'keep', 'twoway']) await until(`${name} drained`, async () => ((await t.hub.sync.targets.get(name)!.depth()).oldestMs === null ? true : undefined));
  };

  it('withdraws the copy where deletes are allowed, keeps and counts it where not, and delivers it again when it comes back', async () => {
    const res = await t.api.post('/api/v1/customers').set(auth()).send({ code: 'S-1', name: 'Scope GmbH', currency: 'EUR' });
    expect(res.status).toBe(201);
    const id = (res.body as { id: string }).id;
    const outside = await t.api.post('/api/v1/customers').set(auth()).send({ code: 'S-2', name: 'Never Inside Inc', currency: 'USD' });
    expect(outside.status).toBe(201);
    await until('both targets hold S-1', () => (held['withdraw']!.has('S-1') && held['keep']!.has('S-1') ? true : undefined));
    await drained();
    expect(held['withdraw']!.has('S-2') || held['keep']!.has('S-2')).toBe(false);
    expect((await stat('withdraw')).out_of_scope).toBe(1);

    // Billed in USD now: outside the finance target's rows.
    await patch(id, { currency: 'USD' });
    await until('withdrawn from the target that allows deletes', () => (held['withdraw']!.has('S-1') ? undefined : true));
    await until('counted as left scope where deletes are off', async () => ((await stat('keep')).left_scope === 1 ? true : undefined));
    expect(deletes).toEqual(['S-1']);
    expect(held['keep']!.get('S-1')).toMatchObject({ code: 'S-1', name: 'Scope GmbH', currency: 'EUR' });
    // The sink records the delete before its answer reaches the hub, which counts it after.
    await until('counted as withdrawn', async () => ((await stat('withdraw')).withdrawn === 1 ? true : undefined));
    await until('counted as left scope on the two-way system', async () => ((await stat('twoway')).left_scope === 1 ? true : undefined));
    expect(held['twoway']!.get('S-1')).toMatchObject({ code: 'S-1', currency: 'EUR' });
    expect((await t.hub.store.links.byHub('withdraw', 'customer', [id])).size).toBe(0);
    expect((await t.hub.store.links.byHub('keep', 'customer', [id])).size).toBe(1);

    // A change while outside reaches neither target.
    const sent = { ...posts };
    await patch(id, { name: 'Scope GmbH (USD)' });
    await until('counted again', async () => ((await stat('keep')).left_scope === 2 ? true : undefined));
    await drained();
    expect(posts).toEqual(sent);
    expect(held['keep']!.get('S-1')).toMatchObject({ name: 'Scope GmbH' });
    expect(deletes).toEqual(['S-1']);

    // Back inside: both targets get the latest state, the withdrawn one afresh.
    await patch(id, { currency: 'CHF' });
    await until('both targets hold the latest state', () =>
      held['withdraw']!.get('S-1')?.['currency'] === 'CHF' && held['keep']!.get('S-1')?.['currency'] === 'CHF' ? true : undefined,
    );
    expect(held['withdraw']!.get('S-1')).toMatchObject({ name: 'Scope GmbH (USD)' });
    expect((await t.hub.store.links.byHub('withdraw', 'customer', [id])).get(id)?.externalId).toBe('S-1');
    expect(await t.hub.sync.deadLetters.list({}, 10)).toEqual([]);
  });

  it('shows the outcomes in the connectors status', async () => {
    const res = await t.api.get('/api/v1/sync/connectors').set(auth());
    expect(res.status).toBe(200);
    const body = JSON.stringify(res.body);
    expect(body).toContain('"withdrawn":1');
    expect(body).toContain('"left_scope":2');
  });
});
