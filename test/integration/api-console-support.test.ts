import express from 'express';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector, ExternalRecord, ReadPage, RecordOutcome, UpsertRequest } from '../../connectors/contract.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from '../helpers.js';
import { mappingDir } from './mappings/fixtures.js';
import { customerSourceFiles, until } from './sync-fixtures.js';

/**
 * What the web UI's operations console relies on beyond the sync API's own tests: replaying the
 * open dead letters of one direction (the list filters by direction, so the bulk replay does too),
 * and the queue board opened with the web UI's session cookie.
 */

const OUT = `
name: ledger.customer.out
connector: ledger
entity: customer
direction: out
externalEntity: customers
fields:
  customer_no: { from: code }
  name: { from: name }
`;

/** An in-memory ledger, target and source of customers, that takes everything. */
class Ledger implements Connector {
  readonly written = new Map<string, ExternalRecord>();
  describe() {
    return { connector: 'ledger', entities: { customers: { read: true, write: true, detectChanges: true, detectDeletes: false, naturalKeys: ['customer_no'] } } };
  }
  async check(): Promise<void> {}
  async read(): Promise<ReadPage> {
    return { records: [], cursor: null };
  }
  async upsert(_entity: string, records: readonly UpsertRequest[]): Promise<RecordOutcome[]> {
    return records.map((r) => {
      const no = String(r.payload['customer_no']);
      this.written.set(no, r.payload);
      return { ok: true, externalId: no };
    });
  }
  keyOf(_entity: string, record: ExternalRecord): string {
    return String(record['customer_no']);
  }
  async close(): Promise<void> {}
}

describe.sequential('API support of the operations console', () => {
  let t: TestHub;
  let admin: Record<string, string>;
  const ledger = new Ledger();
  const app = () => supertest(express().use(t.hub.router));

  beforeAll(async () => {
    t = await startTestHub({
      workers: true,
      connectors: { ledger },
      config: {
        mappings: { dirs: [mappingDir({ ...customerSourceFiles('ledger'), 'ledger/customer.out.yaml': OUT })] },
        sync: {
          relayIntervalMs: 100,
          targets: { ledger: { entities: ['customer'], receiver: 'erpnext', backoffMs: 50 } },
          sources: { ledger: { entities: ['customer'], pollIntervalSeconds: 0 } },
        },
      },
    });
    admin = { Authorization: `Bearer ${t.adminToken}` };
    const rep = await t.api.post('/api/v1/users').set(admin).send({ username: 'rep.console', displayName: 'Rep', roles: ['sales_rep'], password: 'rep-console-password' });
    expect(rep.status).toBe(201);
  }, 60_000);
  afterAll(async () => t?.close());

  it('replays only the open dead letters of the direction asked for', async () => {
    const created = await t.api.post('/api/v1/customers').set(admin).send({ code: 'DL-1', name: 'Dead letter one', currency: 'EUR' });
    expect(created.status).toBe(201);
    // Delivered first: a delivery that goes through settles the record's open letters.
    await until('DL-1 at the ledger', () => (ledger.written.has('DL-1') ? true : undefined));
    await until('the delivery queue to drain', async () => ((await t.hub.sync.targets.get('ledger')!.depth()).oldestMs === null ? true : undefined));
    const at = new Date().toISOString();
    const letters = t.hub.store.deadLetters;
    await letters.add({ target: 'ledger', entity: 'customer', recordId: created.body.id as string, version: 1, payload: { customer_no: 'DL-1', name: 'Dead letter one' }, errorCode: 'refused', errorMessage: 'the ledger refused it', attempts: 1, createdAt: at });
    await letters.add({ target: 'ledger', direction: 'in', entity: 'customer', recordId: 'DL-2', version: 1, payload: { customer_no: 'DL-2', name: 'Dead letter two' }, errorCode: 'refused', errorMessage: 'the hub refused it', attempts: 1, createdAt: at });
    const open = async () => ((await t.api.get('/api/v1/sync/dead-letters').set(admin)).body.items as { id: string; direction: string }[]).map((l) => l.direction).sort();
    expect(await open()).toEqual(['in', 'out']);

    const bad = await t.api.post('/api/v1/sync/dead-letter-replays').set(admin).send({ direction: 'sideways' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ pointer: '/direction' })]);
    expect(await open()).toEqual(['in', 'out']);

    const inbound = await t.api.post('/api/v1/sync/dead-letter-replays').set(admin).send({ target: 'ledger', direction: 'in' });
    expect(inbound.status).toBe(200);
    expect(inbound.body.replayed).toBe(1);
    expect(await open()).toEqual(['out']);
    const outbound = await t.api.post('/api/v1/sync/dead-letter-replays').set(admin).send({ direction: 'out', errorCode: 'refused' });
    expect(outbound.body.replayed).toBe(1);
    expect(await open()).toEqual([]);
  });

  it('discards the open dead letters a filter selects, and only those; a rep may not', async () => {
    const at = new Date().toISOString();
    const letters = t.hub.store.deadLetters;
    for (const [no, code] of [['DX-1', 'refused'], ['DX-2', 'refused'], ['DX-3', 'timeout']] as const) {
      await letters.add({ target: 'ledger', direction: 'in', entity: 'customer', recordId: no, version: 1, payload: { customer_no: no, name: no }, errorCode: code, errorMessage: 'x', attempts: 1, createdAt: at });
    }
    const open = async () => ((await t.api.get('/api/v1/sync/dead-letters').set(admin)).body.items as { recordId: string }[]).map((l) => l.recordId).sort();
    expect(await open()).toEqual(['DX-1', 'DX-2', 'DX-3']);
    const repToken = await t.login('rep.console', 'rep-console-password');
    expect((await t.api.post('/api/v1/sync/dead-letter-discards').set('Authorization', `Bearer ${repToken}`).send({})).status).toBe(403);
    const bad = await t.api.post('/api/v1/sync/dead-letter-discards').set(admin).send({ errorCode: '' });
    expect(bad.status).toBe(400);
    expect(await open()).toEqual(['DX-1', 'DX-2', 'DX-3']);
    const discarded = await t.api.post('/api/v1/sync/dead-letter-discards').set(admin).send({ target: 'ledger', direction: 'in', errorCode: 'refused' });
    expect(discarded.status).toBe(200);
    expect(discarded.body.discarded).toBe(2);
    expect(await open()).toEqual(['DX-3']);
    const closed = (await t.api.get('/api/v1/sync/dead-letters?state=discarded').set(admin)).body.items as { recordId: string; resolvedBy: string }[];
    expect(closed.map((l) => l.recordId).sort()).toEqual(['DX-1', 'DX-2']);
  });

  it('opens the queue board with the web UI session cookie, for admins only, and refuses a cross-site write signed with it', async () => {
    const session = async (username: string, password: string) => {
      const res = await app().post('/api/v1/auth/session').send({ username, password });
      expect(res.status).toBe(200);
      return String(res.headers['set-cookie']![0]).split(';')[0]!;
    };
    const adminCookie = await session('admin', ADMIN_PASSWORD);
    const board = await app().get('/admin/queues/api/queues').query({ activeQueue: '', page: 1, jobsPerPage: 10 }).set('Cookie', adminCookie);
    expect(board.status).toBe(200);
    expect((board.body.queues as { name: string }[]).map((q) => q.name).sort()).toEqual(['deliver.ledger', 'ingest.ledger']);
    // The session is the web UI's: no board cookie of its own is set from it.
    expect(board.headers['set-cookie']).toBeUndefined();

    const repCookie = await session('rep.console', 'rep-console-password');
    expect((await app().get('/admin/queues').set('Cookie', repCookie)).status).toBe(403);
    const forged = await app().put('/admin/queues/api/queues/deliver.ledger/pause').set('Cookie', adminCookie).set('Origin', 'https://evil.example');
    expect(forged.status).toBe(403);
    expect(forged.body.detail ?? forged.body.title).toMatch(/own pages|Forbidden/);
    expect((await app().get('/admin/queues').set('Cookie', 'hub_session=hubt_nonsense')).status).toBe(401);
  });
});
