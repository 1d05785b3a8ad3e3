import { createHmac } from 'node:crypto';
import express from 'express';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError, type Connector, type ExternalRecord, type ReadPage, type RecordOutcome, type UpsertRequest } from '../../connectors/contract.js';
import { startTestHub, type TestHub } from '../helpers.js';
import { mappingDir } from './mappings/fixtures.js';
import { customerSourceFiles, until } from './sync-fixtures.js';

/**
 * The sync administration API against a real engine (workers in-process) and an in-memory
 * "ledger" that is both a target and a source: status, backfill runs, dead letters (a record the
 * ledger refuses), webhooks, the conflict inbox, field lineage, and the bull-board queue UI.
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
  currency: { from: currency }
`;
const SECRET = 'ledger-webhook-secret-for-tests';

/** An in-memory ledger: `upsert` refuses the customer numbers in `refuse` for good; `read` pages through `source`. */
class FakeLedger implements Connector {
  readonly written = new Map<string, ExternalRecord>();
  readonly refuse = new Set<string>(['C-BAD']);
  source: ExternalRecord[] = [];
  readDelayMs = 0;
  down = false;

  describe() {
    return { connector: 'ledger', entities: { customers: { read: true, write: true, detectChanges: true, detectDeletes: false, naturalKeys: ['customer_no'] } } };
  }
  async check(): Promise<void> {
    if (this.down) throw new ConnectorError('retryable', 'unreachable', 'the ledger is down');
  }
  async read(_entity: string, cursor: string | null, limit: number): Promise<ReadPage> {
    if (this.readDelayMs) await new Promise((r) => setTimeout(r, this.readDelayMs));
    const start = cursor ? Number(cursor) : 0;
    const records = this.source.slice(start, start + limit);
    return { records, cursor: String(start + records.length) };
  }
  async count(_entity: string, cursor: string | null): Promise<number> {
    return Math.max(0, this.source.length - (cursor ? Number(cursor) : 0));
  }
  async upsert(_entity: string, records: readonly UpsertRequest[]): Promise<RecordOutcome[]> {
    return records.map((r) => {
      const no = String(r.payload['customer_no']);
      if (this.refuse.has(no)) return { ok: false, kind: 'permanent', code: 'refused', message: 'the ledger refuses this customer' };
      this.written.set(no, r.payload);
      return { ok: true, externalId: no };
    });
  }
  keyOf(_entity: string, record: ExternalRecord): string {
    return String(record['customer_no']);
  }
  async close(): Promise<void> {}
}


const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe.sequential('sync administration API', () => {
  let t: TestHub;
  const ledger = new FakeLedger();
  let admin: Record<string, string>;
  let rep: Record<string, string>;
  let quality: Record<string, string>;
  let purchasing: Record<string, string>;
  const customerByCode = async (code: string) => {
    const res = await t.api.get('/api/v1/customers').query({ q: code }).set(admin);
    return (res.body.items as { id: string; code: string; name: string; version: number }[]).find((c) => c.code === code);
  };
  const quiet = async () => until('deliveries to finish', async () => ((await t.hub.sync.targets.get('ledger')!.depth()).oldestMs === null ? true : undefined));
  const ingested = async () => {
    const q = t.hub.sync.sources.get('ledger')!.queue;
    await until('the ingest queue to drain', async () => {
      const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return (c['waiting'] ?? 0) + (c['active'] ?? 0) + (c['delayed'] ?? 0) + (c['prioritized'] ?? 0) === 0 ? true : undefined;
    });
  };
  const webhook = (body: string, signature?: string) => {
    const req = t.api.post('/api/v1/webhooks/ledger').set('Content-Type', 'application/json');
    return (signature === undefined ? req : req.set('X-Hub-Signature-256', signature)).send(body);
  };

  beforeAll(async () => {
    t = await startTestHub({
      workers: true,
      env: { LEDGER_WEBHOOK_SECRET: SECRET },
      connectors: { ledger },
      config: {
        mappings: { dirs: [mappingDir({ ...customerSourceFiles('ledger'), 'ledger/customer.out.yaml': OUT })] },
        ownership: { conflictWindowSeconds: 300, fields: {} },
        sync: {
          relayIntervalMs: 100,
          targets: { ledger: { entities: ['customer'], receiver: 'erpnext', attempts: 2, backoffMs: 50 } },
          sources: { ledger: { entities: ['customer'], pollIntervalSeconds: 0, pageSize: 2, webhookSecretEnv: 'LEDGER_WEBHOOK_SECRET' } },
        },
      },
    });
    admin = { Authorization: `Bearer ${t.adminToken}` };
    const user = async (username: string, roles: string[]) => {
      const res = await t.api.post('/api/v1/users').set(admin).send({ username, displayName: username, roles, password: `${username}-password-123` });
      expect(res.status).toBe(201);
      return { Authorization: `Bearer ${await t.login(username, `${username}-password-123`)}` };
    };
    rep = await user('rep.sync', ['sales_rep']);
    quality = await user('quality.sync', ['quality']);
    purchasing = await user('buyer.sync', ['purchasing']);
  }, 60_000);
  afterAll(async () => t?.close());

  it('is for administrators only (401 without a credential, 403 for other roles)', async () => {
    for (const [method, path] of [
      ['get', '/api/v1/sync/connectors'],
      ['get', '/api/v1/sync/runs'],
      ['get', '/api/v1/sync/dead-letters'],
      ['post', '/api/v1/sync/dead-letters/replay'],
      ['get', '/api/v1/sync/conflicts'],
      ['post', '/api/v1/sync/connectors/ledger/backfill'],
      ['post', '/api/v1/sync/connectors/ledger/check'],
    ] as const) {
      expect((await t.api[method](path).send({})).status, path).toBe(401);
      const denied = await t.api[method](path).set(rep).send({ entity: 'customer' });
      expect(denied.status, path).toBe(403);
      expect(denied.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('delivers, dead-letters the record the ledger refuses, and reports both in the connector status', async () => {
    for (const [code, name] of [['C-1', 'Alpha'], ['C-BAD', 'Refused Ltd']]) {
      expect((await t.api.post('/api/v1/customers').set(admin).send({ code, name, currency: 'EUR', phone: '+49 30 CANARY' })).status).toBe(201);
    }
    await until('C-1 in the ledger', async () => (ledger.written.has('C-1') ? true : undefined));
    await until('a dead letter', async () => ((await t.hub.store.deadLetters.count({ state: 'open' })) > 0 ? true : undefined));
    await quiet();

    const res = await t.api.get('/api/v1/sync/connectors').set(admin);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    const status = res.body.items[0];
    expect(status).toMatchObject({ id: 'ledger', roles: ['target', 'source'], breaker: { state: 'closed' }, queue: { waiting: 0, active: 0, delayed: 0 } });
    expect(['ok', 'idle', 'degraded']).toContain(status.state);
    const out = status.entities.find((e: { direction: string }) => e.direction === 'out');
    expect(out).toMatchObject({ entity: 'customer', lastErrorCode: 'refused', openDeadLetters: 1 });
    expect(out.counts.delivered).toBeGreaterThanOrEqual(1);
    expect(out.counts.dead_lettered).toBe(1);
    expect(status.entities.find((e: { direction: string }) => e.direction === 'in')).toMatchObject({ entity: 'customer', openDeadLetters: 0 });
  });

  it('checks a connector at the workers\' start and on demand, and shows the last check in the status', async () => {
    const checkOf = async () => ((await t.api.get('/api/v1/sync/connectors').set(admin)).body.items[0] as { check: { ok: boolean; checkedAt: string; error?: unknown } | null }).check;
    const atStart = await until('the check at start', async () => (await checkOf()) ?? undefined);
    expect(atStart).toEqual({ ok: true, checkedAt: expect.any(String) });

    ledger.down = true;
    try {
      const failed = await t.api.post('/api/v1/sync/connectors/ledger/check').set(admin);
      expect(failed.status).toBe(200);
      expect(failed.body).toEqual({ ok: false, checkedAt: expect.any(String), error: { code: 'connector_unreachable', message: 'the ledger is down' } });
      expect(Date.parse(failed.body.checkedAt)).toBeGreaterThanOrEqual(Date.parse(atStart.checkedAt));
      expect(await checkOf()).toEqual(failed.body);
    } finally {
      ledger.down = false;
    }
    const ok = await t.api.post('/api/v1/sync/connectors/ledger/check').set(admin);
    expect(ok.body).toEqual({ ok: true, checkedAt: expect.any(String) });
    expect(await checkOf()).toEqual(ok.body);

    const unknown = await t.api.post('/api/v1/sync/connectors/nowhere/check').set(admin);
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  let letterId: string;

  it('lists dead letters with filters and a cursor, shows one with its payload as stored, and audits ids only', async () => {
    // A second letter, for paging.
    expect((await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-BAD2', name: 'Refused Two', currency: 'EUR' })).status).toBe(201);
    ledger.refuse.add('C-BAD2');
    await until('two dead letters', async () => ((await t.hub.store.deadLetters.count({ state: 'open' })) === 2 ? true : undefined));

    const all = await t.api.get('/api/v1/sync/dead-letters').set(admin);
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(2);
    expect(all.body.nextCursor).toBeNull();
    const first = await t.api.get('/api/v1/sync/dead-letters').query({ limit: 1 }).set(admin);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toBe(first.body.items[0].id);
    const second = await t.api.get('/api/v1/sync/dead-letters').query({ limit: 1, cursor: first.body.nextCursor }).set(admin);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);

    const letter = all.body.items[0];
    letterId = letter.id;
    expect(letter).toMatchObject({ target: 'ledger', direction: 'out', entity: 'customer', errorCode: 'refused', state: 'open', payload: { customer_no: 'C-BAD', name: 'Refused Ltd', currency: 'EUR' } });
    // Projected for the target before it was stored: the phone never reaches it.
    expect(JSON.stringify(all.body)).not.toContain('CANARY');

    expect((await t.api.get('/api/v1/sync/dead-letters').query({ target: 'ledger', entity: 'customer', errorCode: 'refused', direction: 'out' }).set(admin)).body.items).toHaveLength(2);
    expect((await t.api.get('/api/v1/sync/dead-letters').query({ errorCode: 'other' }).set(admin)).body.items).toHaveLength(0);
    expect((await t.api.get('/api/v1/sync/dead-letters').query({ state: 'replayed' }).set(admin)).body.items).toHaveLength(0);
    const bad = await t.api.get('/api/v1/sync/dead-letters').query({ state: 'lost', cursor: 'abc' }).set(admin);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/query/cursor', '/query/state']);

    const one = await t.api.get(`/api/v1/sync/dead-letters/${letterId}`).set(admin);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(letter);
    expect((await t.api.get('/api/v1/sync/dead-letters/999999').set(admin)).status).toBe(404);

    const audit = await t.hub.store.audit.list({ limit: 20, action: 'sync.deadletter.read' });
    expect(audit.find((a) => a.status === 200)).toMatchObject({ entity: 'customer', recordIds: [letterId], outcome: 'success' });
    expect(audit.find((a) => a.status === 404)).toMatchObject({ outcome: 'failure', recordIds: ['999999'] });
    expect(JSON.stringify(await t.hub.store.audit.list({ limit: 100 }))).not.toContain('Refused Ltd');
  });

  it('replays a dead letter once the ledger is fixed (409 when it is no longer open), and discards another', async () => {
    ledger.refuse.delete('C-BAD');
    const replay = await t.api.post(`/api/v1/sync/dead-letters/${letterId}/replay`).set(admin);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ id: letterId, state: 'replayed', resolvedBy: 'admin' });
    await until('C-BAD in the ledger', async () => (ledger.written.has('C-BAD') ? true : undefined));
    expect(ledger.written.get('C-BAD')).toEqual({ customer_no: 'C-BAD', name: 'Refused Ltd', currency: 'EUR' });

    const again = await t.api.post(`/api/v1/sync/dead-letters/${letterId}/replay`).set(admin);
    expect(again.status).toBe(409);
    expect(again.body.errors[0].pointer).toBe('/state');
    expect((await t.api.post(`/api/v1/sync/dead-letters/${letterId}/discard`).set(admin)).status).toBe(409);
    expect((await t.api.post('/api/v1/sync/dead-letters/424242/replay').set(admin)).status).toBe(404);

    const [other] = (await t.api.get('/api/v1/sync/dead-letters').set(admin)).body.items;
    const discarded = await t.api.post(`/api/v1/sync/dead-letters/${other.id}/discard`).set(admin);
    expect(discarded.status).toBe(200);
    expect(discarded.body).toMatchObject({ state: 'discarded', resolvedBy: 'admin' });
    expect((await t.api.get('/api/v1/sync/dead-letters').query({ state: 'discarded' }).set(admin)).body.items.map((l: { id: string }) => l.id)).toEqual([other.id]);

    const audit = await t.hub.store.audit.list({ limit: 20, entity: 'customer' });
    expect(audit.find((a) => a.action === 'sync.deadletter.replay' && a.status === 200)).toMatchObject({ recordIds: [letterId] });
    expect(audit.find((a) => a.action === 'sync.deadletter.replay' && a.status === 409)).toMatchObject({ recordIds: [letterId], outcome: 'failure' });
    expect(audit.find((a) => a.action === 'sync.deadletter.discard' && a.status === 200)).toMatchObject({ recordIds: [other.id] });
  });

  it('replays every open letter a filter selects', async () => {
    ledger.refuse.add('C-BAD3');
    const created = await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-BAD3', name: 'Refused Three', currency: 'EUR' });
    expect(created.status).toBe(201);
    const open = await until('a new dead letter', async () => {
      const items = (await t.api.get('/api/v1/sync/dead-letters').set(admin)).body.items as { id: string }[];
      return items.length === 1 ? items : undefined;
    });
    const none = await t.api.post('/api/v1/sync/dead-letters/replay').set(admin).send({ target: 'ledger', errorCode: 'no_such_code' });
    expect(none.body).toEqual({ replayed: 0, ids: [] });
    const bad = await t.api.post('/api/v1/sync/dead-letters/replay').set(admin).send({ target: 'Ledger!', entity: 'spaceship', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/entity', '/extra', '/target']);

    ledger.refuse.delete('C-BAD3');
    const res = await t.api.post('/api/v1/sync/dead-letters/replay').set(admin).send({ target: 'ledger', entity: 'customer', createdAfter: '2000-01-01T00:00:00+02:00' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ replayed: 1, ids: [open[0]!.id] });
    await until('C-BAD3 in the ledger', async () => (ledger.written.has('C-BAD3') ? true : undefined));
    const audit = await t.hub.store.audit.list({ limit: 5, action: 'sync.deadletter.replay' });
    expect(audit[0]).toMatchObject({ recordIds: [open[0]!.id], fields: ['createdAfter', 'entity', 'target'] });
  });

  it('backfills from the ledger with progress, lists and gets runs, and refuses to cancel a finished one', async () => {
    ledger.source = [1, 2, 3, 4, 5].map((i) => ({ customer_no: `L-${i}`, name: `Ledger ${i}`, currency: 'EUR' }));
    const started = await t.api.post('/api/v1/sync/connectors/ledger/backfill').set(admin).send({ entity: 'customer' });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ kind: 'backfill', connector: 'ledger', entity: 'customer', direction: 'in', createdBy: 'admin' });
    expect(['queued', 'running', 'done']).toContain(started.body.state);
    expect(started.headers['location']).toBe(`/api/v1/sync/runs/${started.body.id}`);
    const id = started.body.id as string;

    const done = await until('the run to finish', async () => {
      const r = await t.api.get(`/api/v1/sync/runs/${id}`).set(admin);
      return r.body.state === 'done' ? r.body : undefined;
    });
    expect(done).toMatchObject({ done: 5, total: 5, progress: { done: 5, total: 5, percent: 100, etaSeconds: 0 } });
    expect(await customerByCode('L-5')).toMatchObject({ name: 'Ledger 5' });

    const list = await t.api.get('/api/v1/sync/runs').query({ connector: 'ledger', limit: 5 }).set(admin);
    expect(list.status).toBe(200);
    expect(list.body.items[0].id).toBe(id);
    expect((await t.api.get('/api/v1/sync/runs').query({ connector: 'other' }).set(admin)).body.items).toEqual([]);

    const cancel = await t.api.post(`/api/v1/sync/runs/${id}/cancel`).set(admin);
    expect(cancel.status).toBe(409);
    expect(cancel.body.errors[0]).toMatchObject({ pointer: '/state', detail: 'is done' });
    expect((await t.api.get('/api/v1/sync/runs/00000000-0000-0000-0000-000000000000').set(admin)).status).toBe(404);
    expect((await t.api.post('/api/v1/sync/runs/00000000-0000-0000-0000-000000000000/cancel').set(admin)).status).toBe(404);

    const audit = await t.hub.store.audit.list({ limit: 5, action: 'sync.backfill' });
    expect(audit[0]).toMatchObject({ entity: 'customer', recordIds: [id], fields: ['entity'], status: 202 });
  });

  it('cancels a running backfill', async () => {
    ledger.readDelayMs = 300;
    ledger.source = Array.from({ length: 40 }, (_, i) => ({ customer_no: `S-${i}`, name: `Slow ${i}`, currency: 'EUR' }));
    const started = await t.api.post('/api/v1/sync/connectors/ledger/backfill').set(admin).send({ entity: 'customer', direction: 'in' });
    expect(started.status).toBe(202);
    const cancelled = await t.api.post(`/api/v1/sync/runs/${started.body.id}/cancel`).set(admin);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ state: 'cancelled' });
    expect(cancelled.body.finishedAt).not.toBeNull();
    expect((await t.hub.store.audit.list({ limit: 5, action: 'sync.cancel' }))[0]).toMatchObject({ entity: 'customer', recordIds: [started.body.id], status: 200 });
    ledger.readDelayMs = 0;
  });

  it('refuses backfills it cannot run, with pointers', async () => {
    const wrongEntity = await t.api.post('/api/v1/sync/connectors/ledger/backfill').set(admin).send({ entity: 'order' });
    expect(wrongEntity.status).toBe(422);
    expect(wrongEntity.body.errors[0].pointer).toBe('/entity');
    const since = await t.api.post('/api/v1/sync/connectors/ledger/backfill').set(admin).send({ entity: 'customer', direction: 'in', since: '2026-01-01T00:00:00Z' });
    expect(since.status).toBe(422);
    expect(since.body.errors[0].pointer).toBe('/since');
    // A connector that can start at a point in time once configured says what is missing.
    const unconfigured = Object.assign(ledger, {
      cursorSince: () => {
        throw new ConnectorError('permanent', 'no_modified_format', 'ledger customers cannot start a read at a point in time: its list endpoint has no modifiedFormat');
      },
    });
    try {
      const res = await t.api.post('/api/v1/sync/connectors/ledger/backfill').set(admin).send({ entity: 'customer', direction: 'in', since: '2026-01-01T00:00:00Z' });
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual([{ pointer: '/since', detail: 'ledger customers cannot start a read at a point in time: its list endpoint has no modifiedFormat' }]);
    } finally {
      delete (unconfigured as { cursorSince?: unknown }).cursorSince;
    }
    expect((await t.hub.sync.runs.list({ connector: 'ledger', limit: 100 })).filter((r) => r.since === '2026-01-01T00:00:00Z')).toEqual([]);
    const schema = await t.api.post('/api/v1/sync/connectors/ledger/backfill').set(admin).send({ entity: 'spaceship', direction: 'sideways' });
    expect(schema.status).toBe(400);
    expect(schema.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/direction', '/entity']);
    expect((await t.api.post('/api/v1/sync/connectors/nowhere/backfill').set(admin).send({ entity: 'customer' })).status).toBe(404);
    // Outbound backfills are fine for a target.
    const out = await t.api.post('/api/v1/sync/connectors/ledger/backfill').set(admin).send({ entity: 'customer', direction: 'out', since: '2000-01-01T00:00:00Z' });
    expect(out.status).toBe(202);
    expect(out.body.direction).toBe('out');
  });

  it('accepts a correctly signed webhook and refuses a bad signature (401), an unknown connector (404) and a bad body (422)', async () => {
    const body = JSON.stringify({ entity: 'customers', records: [{ customer_no: 'W-1', name: 'Webhook One', currency: 'EUR' }] });
    const ok = await webhook(body, sign(body));
    expect(ok.status).toBe(202);
    expect(ok.body).toEqual({ accepted: 1 });
    await ingested();
    await until('W-1 in the hub', async () => ((await customerByCode('W-1')) ? true : undefined));

    const tampered = await webhook(body.replace('Webhook One', 'Webhook Evil'), sign(body));
    expect(tampered.status).toBe(401);
    expect(tampered.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await webhook(body)).status).toBe(401);
    expect((await webhook(body, sign(body, 'wrong-secret'))).status).toBe(401);
    expect((await t.api.post('/api/v1/webhooks/nowhere').set('X-Hub-Signature-256', sign(body)).set('Content-Type', 'application/json').send(body)).status).toBe(404);

    // Not JSON at all, but signed: the signature is checked on the bytes, then the body.
    const garbage = '{"entity": "customers", "records": [';
    const notJson = await webhook(garbage, sign(garbage));
    expect(notJson.status).toBe(422);
    const wrong = JSON.stringify({ entity: 'orders', records: 'nope' });
    const invalid = await webhook(wrong, sign(wrong));
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/entity', '/records']);
    // An unsigned bad body is refused for its signature, saying nothing about the body.
    expect((await webhook(garbage)).status).toBe(401);

    const denied = await t.hub.store.audit.list({ limit: 20, action: 'sync.webhook' });
    expect(denied.some((a) => a.outcome === 'denied' && a.status === 401)).toBe(true);
    expect(denied.some((a) => a.outcome === 'success' && a.status === 202)).toBe(true);
  });

  it('lists conflicts and resolves one (409 when resolved, 422 for a pick without its value)', async () => {
    const w1 = (await customerByCode('W-1'))!;
    const target = t.hub.sync.targets.get('ledger')!;
    // The hub renames W-1 and the ledger renames it too before it has seen the hub's change.
    await target.queue.pause();
    expect((await t.api.patch(`/api/v1/customers/${w1.id}`).set(admin).send({ name: 'Webhook (Hub)' })).status).toBe(200);
    const body = JSON.stringify({ entity: 'customers', records: [{ customer_no: 'W-1', name: 'Webhook (Ledger)', currency: 'EUR' }] });
    expect((await webhook(body, sign(body))).status).toBe(202);
    await ingested();
    await target.queue.resume();
    await quiet();

    const list = await t.api.get('/api/v1/sync/conflicts').set(admin);
    expect(list.status).toBe(200);
    expect(list.body.nextCursor).toBeNull();
    const conflict = list.body.items.find((c: { recordId: string }) => c.recordId === w1.id);
    expect(conflict).toMatchObject({ entity: 'customer', field: 'name', system: 'ledger', theirValue: 'Webhook (Ledger)', hubValue: 'Webhook (Hub)', hubSystem: 'hub', state: 'open' });
    expect((await t.api.get('/api/v1/sync/conflicts').query({ entity: 'order' }).set(admin)).body.items).toEqual([]);
    expect((await t.api.get('/api/v1/sync/conflicts').query({ cursor: conflict.id }).set(admin)).body.items).toEqual([]);

    const noValue = await t.api.post(`/api/v1/sync/conflicts/${conflict.id}/resolve`).set(admin).send({ pick: 'value' });
    expect(noValue.status).toBe(422);
    expect(noValue.body.errors[0].pointer).toBe('/value');
    const badPick = await t.api.post(`/api/v1/sync/conflicts/${conflict.id}/resolve`).set(admin).send({ pick: 'coin' });
    expect(badPick.status).toBe(400);
    expect(badPick.body.errors[0].pointer).toBe('/pick');

    const resolved = await t.api.post(`/api/v1/sync/conflicts/${conflict.id}/resolve`).set(admin).send({ pick: 'value', value: 'Webhook (Agreed)' });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ id: conflict.id, state: 'resolved', resolution: 'value', resolvedBy: 'admin' });
    expect(await customerByCode('W-1')).toMatchObject({ name: 'Webhook (Agreed)' });
    await until('the agreed name in the ledger', async () => (ledger.written.get('W-1')?.['name'] === 'Webhook (Agreed)' ? true : undefined));

    expect((await t.api.post(`/api/v1/sync/conflicts/${conflict.id}/resolve`).set(admin).send({ pick: 'hub' })).status).toBe(409);
    expect((await t.api.post('/api/v1/sync/conflicts/987654/resolve').set(admin).send({ pick: 'hub' })).status).toBe(404);
    expect((await t.api.get('/api/v1/sync/conflicts').query({ state: 'resolved' }).set(admin)).body.items.map((c: { id: string }) => c.id)).toContain(conflict.id);

    const audit = await t.hub.store.audit.list({ limit: 10, action: 'sync.conflict.resolve' });
    const ok = audit.find((a) => a.status === 200)!;
    expect(ok).toMatchObject({ entity: 'customer', recordIds: [w1.id], fields: ['name'] });
    expect(JSON.stringify(audit)).not.toContain('Agreed');
  });

  it('shows field lineage like the record: only fields the caller sees, 404 for a record out of scope, 403 for a closed entity', async () => {
    const w1 = (await customerByCode('W-1'))!;
    const res = await t.api.get(`/api/v1/customers/${w1.id}/lineage`).set(admin);
    expect(res.status).toBe(200);
    expect(res.body.recordId).toBe(w1.id);
    const byField = Object.fromEntries(res.body.fields.map((f: { field: string; system: string }) => [f.field, f]));
    expect(byField['code']).toMatchObject({ system: 'ledger', job: expect.stringMatching(/^webhook/) });
    expect(byField['name']).toMatchObject({ system: 'hub', job: expect.stringContaining('conflict:') });
    expect(byField['currency']).toBeDefined();

    // Quality sees customers' code and name only.
    const q = await t.api.get(`/api/v1/customers/${w1.id}/lineage`).set(quality);
    expect(q.status).toBe(200);
    expect(q.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['code', 'name']);
    // A sales rep sees only their own customers: this one answers like a missing one.
    expect((await t.api.get(`/api/v1/customers/${w1.id}/lineage`).set(rep)).status).toBe(404);
    expect((await t.api.get('/api/v1/customers/nope/lineage').set(admin)).status).toBe(404);
    // Purchasing may not read customers at all.
    expect((await t.api.get(`/api/v1/customers/${w1.id}/lineage`).set(purchasing)).status).toBe(403);
    expect((await t.api.get(`/api/v1/customers/${w1.id}/lineage`)).status).toBe(401);

    // Other entities have lineage too.
    const product = await t.api.post('/api/v1/products').set(admin).send({ sku: 'SKU-L', name: 'Lineage Widget', uom: 'pcs', currency: 'EUR', listPrice: '10.00', cost: '4.00' });
    expect(product.status).toBe(201);
    const asBuyer = await t.api.get(`/api/v1/products/${product.body.id}/lineage`).set(purchasing);
    expect(asBuyer.body.fields.map((f: { field: string }) => f.field)).toContain('cost');
    const asRep = await t.api.get(`/api/v1/products/${product.body.id}/lineage`).set(rep);
    expect(asRep.status).toBe(200);
    const repFields = asRep.body.fields.map((f: { field: string }) => f.field);
    expect(repFields).toContain('listPrice');
    expect(repFields).not.toContain('cost');
  });

  describe('bull-board at /admin/queues', () => {
    const fresh = () => supertest.agent(express().use(t.hub.router));

    it('answers 401 without a credential and 403 for a non-admin', async () => {
      const a = fresh();
      const none = await a.get('/admin/queues');
      expect(none.status).toBe(401);
      expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect((await a.get('/admin/queues').set('Authorization', 'Bearer hubt_nonsense')).status).toBe(401);
      expect((await a.get('/admin/queues').set(rep)).status).toBe(403);
      expect((await a.get(`/admin/queues?token=${rep.Authorization!.slice(7)}`)).status).toBe(403);
      expect((await a.get('/admin/queues/api/queues').set(rep)).status).toBe(403);
    });

    it('serves the board to an admin, lists the delivery and ingest queues, and keeps the session in a scoped cookie', async () => {
      const a = fresh();
      const page = await a.get('/admin/queues').set(admin);
      expect(page.status).toBe(200);
      expect(page.text).toContain('<html');
      const cookie = String(page.headers['set-cookie']);
      expect(cookie).toMatch(/hub_token=hubt_[^;]+; Path=\/admin\/queues; HttpOnly; SameSite=Strict/);

      // The cookie alone now authenticates (the agent sends it back).
      const api = await a.get('/admin/queues/api/queues').query({ activeQueue: '', page: 1, jobsPerPage: 10 });
      expect(api.status).toBe(200);
      const names = (api.body.queues as { name: string; readOnlyMode: boolean }[]).map((q) => q.name).sort();
      expect(names).toEqual(['deliver.ledger', 'ingest.ledger']);
      expect(api.body.queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode)).toBe(true);

      // ?token= once: sets the cookie and takes the token out of the address.
      const b = fresh();
      const viaQuery = await b.get(`/admin/queues?token=${t.adminToken}`).redirects(0);
      expect(viaQuery.status).toBe(303);
      expect(viaQuery.headers['location']).toBe('/admin/queues/');
      expect(String(viaQuery.headers['set-cookie'])).toContain('HttpOnly');
      expect((await b.get('/admin/queues/api/queues')).status).toBe(200);
    });
  });
});
