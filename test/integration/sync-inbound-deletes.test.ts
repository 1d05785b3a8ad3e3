import { createPool, type Pool } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES, type EntityName } from '../../core/model/entities.js';
import { createTestDatabase, startTestHub, type TestHub } from '../helpers.js';
import { mappingDir } from './mappings/fixtures.js';
import { customerSourceFiles, sinkFiles, startJsonPeer, until, type JsonPeer } from './sync-fixtures.js';

/**
 * Deletes reported by a source (a soft-delete flag on the MySQL table) reach the hub: with the
 * source's `deletes` on, the hub record is deleted (a tombstone) and the delete goes on to the
 * target that allows deletes; with it off the hub keeps the record and counts the delete as
 * ignored; a delete the hub refuses (the customer still has a contact) is an inbound dead letter
 * whose replay, once the contact is gone, deletes.
 */

describe.sequential('deletes reported by a source', () => {
  let t: TestHub;
  let db: { url: string; drop: () => Promise<void> };
  let erp: Pool;
  let peer: JsonPeer;
  const sinkHolds = new Set<string>();
  const sinkDeletes: string[] = [];
  const auth = () => ({ Authorization: `Bearer ${t.adminToken}` });

  beforeAll(async () => {
    peer = await startJsonPeer((req, body, reply) => {
      if (req.method === 'DELETE') {
        const code = decodeURIComponent(req.url!.split('/').pop()!);
        sinkDeletes.push(code);
        sinkHolds.delete(code);
        return reply(204);
      }
      const records = (body as { records: { code: string }[] }).records;
      for (const r of records) sinkHolds.add(r.code);
      reply(200, { results: records.map((r) => ({ id: r.code })) });
    });
    db = await createTestDatabase();
    erp = createPool({ uri: db.url, connectionLimit: 2, timezone: 'Z' });
    for (const table of ['erp_customers', 'legacy_customers']) {
      await erp.query(`CREATE TABLE ${table} (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_no VARCHAR(32) NOT NULL UNIQUE, name VARCHAR(100) NOT NULL,
        currency CHAR(3), is_deleted TINYINT(1) NOT NULL DEFAULT 0, modified_at DATETIME(3) NOT NULL, INDEX (modified_at, id))`);
    }
    const table = (name: string) => ({ table: name, key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'currency'], deletedFlag: 'is_deleted' });
    t = await startTestHub({
      workers: true,
      env: { ERP_URL: db.url },
      config: {
        mappings: { dirs: [mappingDir({ ...customerSourceFiles('erp'), ...customerSourceFiles('legacy'), ...sinkFiles() })] },
        connectors: {
          erp: { type: 'mysql', urlEnv: 'ERP_URL', tables: { customers: table('erp_customers') } },
          legacy: { type: 'mysql', urlEnv: 'ERP_URL', tables: { customers: table('legacy_customers') } },
          sink: { type: 'http', baseUrl: peer.url, entities: { customers: { batch: { path: '/batch', idField: 'id' }, delete: { path: '/customers' } } } },
        },
        sync: {
          relayIntervalMs: 100,
          sources: {
            erp: { entities: ['customer'], pollIntervalSeconds: 0, deletes: true },
            legacy: { entities: ['customer'], pollIntervalSeconds: 0 },
          },
          targets: { sink: { entities: ['customer'], receiver: 'finance', deletes: true } },
        },
      },
    });
  });

  afterAll(async () => {
    await t?.close();
    await erp?.end();
    await db?.drop();
    await peer?.close();
  });

  let tick = 0;
  const stamp = () => new Date(Date.UTC(2026, 5, 1, 0, 0, 0, ++tick * 10));
  const poll = async (source: string) => {
    const runner = t.hub.sync.sources.get(source)!;
    await runner.pollNow('customer' as EntityName);
    await until(`${source} polled`, async () => {
      const c = await runner.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return (c['waiting'] ?? 0) + (c['active'] ?? 0) + (c['delayed'] ?? 0) + (c['prioritized'] ?? 0) === 0 ? true : undefined;
    });
  };
  const byCode = async (code: string) => (await t.hub.store.records.findByColumn(ENTITIES.customer, 'code', [code]))[0];
  const stats = async (system: string) => (await t.hub.sync.stats.get(system, 'customer', 'in')).counts;
  const flag = async (table: string, no: string, value: 0 | 1) => erp.query(`UPDATE ${table} SET is_deleted = ?, modified_at = ? WHERE customer_no = ?`, [value, stamp(), no]);

  it('deletes the hub record and sends the delete on when the source has deletes on; keeps it and counts it when off', async () => {
    for (const no of ['D-1', 'D-2', 'D-3']) await erp.query('INSERT INTO erp_customers (customer_no, name, currency, modified_at) VALUES (?, ?, ?, ?)', [no, `Delete ${no}`, 'EUR', stamp()]);
    await erp.query('INSERT INTO legacy_customers (customer_no, name, currency, modified_at) VALUES (?, ?, ?, ?)', ['L-1', 'Legacy One', 'EUR', stamp()]);
    await poll('erp');
    await poll('legacy');
    await until('the sink holds all four', () => (['D-1', 'D-2', 'D-3', 'L-1'].every((c) => sinkHolds.has(c)) ? true : undefined));
    const d2 = (await byCode('D-2'))!;

    await flag('erp_customers', 'D-2', 1);
    await flag('legacy_customers', 'L-1', 1);
    await poll('erp');
    await poll('legacy');
    expect(await byCode('D-2')).toBeUndefined();
    expect((await t.api.get(`/api/v1/customers/${d2.id}`).set(auth())).status).toBe(404);
    await until('the delete reached the sink', () => (sinkDeletes.includes('D-2') ? true : undefined));
    expect(sinkHolds.has('D-2')).toBe(false);
    expect((await stats('erp')).deleted).toBe(1);
    // The source no longer holds it: its link is gone, nothing is sent back.
    expect((await t.hub.store.links.byHub('erp', 'customer', [d2.id])).size).toBe(0);

    expect(await byCode('L-1')).toBeDefined();
    expect((await stats('legacy')).delete_ignored).toBe(1);
    expect(sinkDeletes).toEqual(['D-2']);

    // The same flagged row read again changes nothing.
    await erp.query('UPDATE erp_customers SET modified_at = ? WHERE customer_no = ?', [stamp(), 'D-2']);
    await poll('erp');
    expect((await stats('erp')).deleted).toBe(1);
    expect((await stats('erp')).unchanged).toBeGreaterThanOrEqual(1);
  });

  it('refuses a delete the hub cannot make (a contact refers to the customer) as a dead letter whose replay deletes', async () => {
    const d3 = (await byCode('D-3'))!;
    const contact = await t.api.post('/api/v1/contacts').set(auth()).send({ customerId: d3.id, lastName: 'Keeper' });
    expect(contact.status).toBe(201);
    await flag('erp_customers', 'D-3', 1);
    await poll('erp');
    expect(await byCode('D-3')).toBeDefined();
    const letters = await t.hub.sync.deadLetters.list({ direction: 'in' }, 10);
    const letter = letters.find((l) => l.recordId === 'D-3');
    expect(letter).toMatchObject({ direction: 'in', entity: 'customer', errorCode: 'conflict', state: 'open' });
    expect(letter?.errorMessage).toContain('The delete was refused');
    expect(letter?.payload).toMatchObject({ customer_no: 'D-3', $deleted: true });

    expect((await t.api.delete(`/api/v1/contacts/${(contact.body as { id: string }).id}`).set(auth())).status).toBe(204);
    expect(await t.hub.sync.deadLetters.replay([letter!.id], 'admin')).toEqual([letter!.id]);
    await until('the replay deleted the customer', async () => ((await byCode('D-3')) === undefined ? true : undefined));
    await until('and the sink', () => (sinkDeletes.includes('D-3') ? true : undefined));
  });
});

describe('sync configuration mistakes stop the hub, naming the place and the reason', () => {
  it('source deletes that nothing could report, an unknown connector, a target entity without an outbound mapping', async () => {
    const attempt = startTestHub({
      workers: false,
      env: { ERP_URL: 'mysql://root@127.0.0.1:3306/test' },
      config: {
        mappings: { dirs: [mappingDir({ ...customerSourceFiles('erp'), ...customerSourceFiles('named'), ...sinkFiles() })] },
        connectors: {
          erp: { type: 'mysql', urlEnv: 'ERP_URL', tables: { customers: { table: 'erp_customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'currency'] } } },
          named: { type: 'mysql', urlEnv: 'ERP_URL', tables: { customers: { table: 'erp_customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'currency'] } } },
          sink: { type: 'http', baseUrl: 'http://127.0.0.1:9', entities: { customers: { batch: { path: '/batch' } } } },
        },
        sync: {
          // deletes may name the entities they apply to: checked the same, for those entities.
          sources: { erp: { entities: ['customer'], deletes: true }, named: { entities: ['customer'], deletes: ['customer'] }, ghost: { entities: ['customer'] } },
          targets: { sink: { entities: ['customer', 'product'], receiver: 'finance' } },
        },
      },
    });
    await expect(attempt).rejects.toMatchObject({
      code: 'config_invalid',
      errors: expect.arrayContaining([
        { pointer: '/sync/sources/erp/deletes', detail: 'erp reports no deletes for customers (set its deletedFlag / deletedField, or a webhookSecretEnv for deletes by webhook)' },
        { pointer: '/sync/sources/named/deletes', detail: 'named reports no deletes for customers (set its deletedFlag / deletedField, or a webhookSecretEnv for deletes by webhook)' },
        { pointer: '/sync/sources/ghost', detail: 'no connector named ghost is configured (connectors.ghost)' },
        { pointer: '/sync/targets/sink/entities', detail: 'no outbound mapping for product with connector sink' },
      ]),
    });
  });

  it('targets where a retried create would make a duplicate: named by the system without a lookup, or a lookup the mapping never writes', async () => {
    // The same customer mapping for two more HTTP targets.
    const copy = (name: string) => Object.fromEntries(Object.entries(sinkFiles()).map(([path, text]) => [path.replace(/^sink\//, `${name}/`), text.replaceAll('sink', name)]));
    const attempt = startTestHub({
      workers: false,
      config: {
        mappings: { dirs: [mappingDir({ ...copy('series'), ...copy('lookup') })] },
        connectors: {
          series: { type: 'http', baseUrl: 'http://127.0.0.1:9', entities: { customers: { upsert: { path: '/customers', keyField: 'id', namedBy: 'system' } } } },
          lookup: { type: 'http', baseUrl: 'http://127.0.0.1:9', entities: { customers: { upsert: { path: '/customers', keyField: 'id', namedBy: 'system', lookup: { field: 'hub_code', path: '/customers', query: { param: 'hub_code' } } } } } },
        },
        sync: { targets: { series: { entities: ['customer'], receiver: 'finance' }, lookup: { entities: ['customer'], receiver: 'finance' } } },
      },
    });
    await expect(attempt).rejects.toMatchObject({
      code: 'config_invalid',
      errors: expect.arrayContaining([
        { pointer: '/sync/targets/series/entities', detail: expect.stringMatching(/^series names customers records itself and has no upsert lookup: a create whose answer is lost would be retried and make a duplicate/) },
        { pointer: '/sync/targets/lookup/entities', detail: 'mapping lookup.customer.out does not write hub_code, the field lookup looks an earlier create up by: a retried create would make a duplicate' },
      ]),
    });
  });
});
