import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES, type StoredRecord } from '../../core/model/entities.js';
import { RecordService } from '../../core/records/service.js';
import { Store } from '../../core/store/store.js';
import { STORE_KINDS, freshStoreUrl } from '../helpers.js';

const def = ENTITIES.customer;

function customer(id: string, code: string, name: string, extra: Record<string, string> = {}): StoredRecord {
  return { id, code, name, currency: 'EUR', version: 1, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', ...extra };
}

describe.each(STORE_KINDS)('the store (%s)', (kind) => {
  let store: Store;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const place = await freshStoreUrl(kind);
    cleanup = place.cleanup;
    store = await Store.open(place.url, place.dataDir);
  });
  afterAll(async () => {
    await store?.close();
    await cleanup?.();
  });

  it('migrates idempotently', async () => {
    expect(await store.migrate()).toEqual([]);
    expect(store.dialect).toBe(kind);
  });

  it('writes a record and its outbox row in one transaction, and neither when it rolls back', async () => {
    const outboxBefore = (await store.outbox.after(0, 10_000)).length;
    await store.transaction(async (tx) => tx.records.insert(def, customer('c-1', 'C-1', 'Alpha')));
    expect(await store.records.get(def, 'c-1')).toMatchObject({ code: 'C-1', name: 'Alpha' });
    const events = await store.outbox.after(0, 10_000);
    expect(events.length).toBe(outboxBefore + 1);
    expect(events.at(-1)).toMatchObject({ entity: 'customer', recordId: 'c-1', op: 'upsert', version: 1 });

    await expect(
      store.transaction(async (tx) => {
        await tx.records.insert(def, customer('c-2', 'C-2', 'Beta'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.records.get(def, 'c-2')).toBeUndefined();
    expect((await store.outbox.after(0, 10_000)).length).toBe(outboxBefore + 1);
  });

  it('updates only at the expected version (optimistic concurrency), even when two writers race', async () => {
    await store.records.insert(def, customer('c-3', 'C-3', 'Gamma'));
    const v2 = (name: string): StoredRecord => ({ ...customer('c-3', 'C-3', name), version: 2 });
    const results = await Promise.all([store.records.update(def, v2('Gamma A'), 1), store.records.update(def, v2('Gamma B'), 1)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.records.update(def, { ...v2('Gamma C'), version: 3 }, 1)).toBe(false);
    expect((await store.records.get(def, 'c-3'))?.version).toBe(2);
  });

  it('keeps natural keys unique among live records and frees them on soft delete, leaving a tombstone event', async () => {
    await store.records.insert(def, customer('c-4', 'C-4', 'Delta'));
    await expect(store.records.insert(def, customer('c-5', 'C-4', 'Delta again'))).rejects.toSatisfy((e) => store.isUniqueViolation(e));
    const current = (await store.records.get(def, 'c-4')) as StoredRecord;
    expect(await store.records.softDelete(def, { ...current, version: 2 }, 1, '2026-01-02T00:00:00.000Z')).toBe(true);
    expect(await store.records.get(def, 'c-4')).toBeUndefined();
    expect((await store.outbox.after(0, 10_000)).at(-1)).toMatchObject({ recordId: 'c-4', op: 'delete', version: 2 });
    await store.records.insert(def, customer('c-5', 'C-4', 'Delta again'));
    expect((await store.records.findByNaturalKey(def, 'C-4'))?.id).toBe('c-5');
  });

  it('filters, searches (with LIKE wildcards taken literally) and pages by keyset with ties', async () => {
    for (let i = 0; i < 9; i++) {
      await store.records.insert(def, customer(`k-${i}`, `K-${i}`, i < 3 ? '100% Tie_Name' : `Name ${i}`, { ownerId: i % 2 ? 'u-odd' : 'u-even', status: 'active' }));
    }
    const odd = await store.records.list(def, { filters: { ownerId: 'u-odd' }, limit: 100 });
    expect(odd.items.map((r) => r.id).sort()).toEqual(['k-1', 'k-3', 'k-5', 'k-7']);
    expect((await store.records.list(def, { q: '100%', limit: 100 })).items).toHaveLength(3);
    expect((await store.records.list(def, { q: 'tie_n', limit: 100 })).items).toHaveLength(3);
    expect((await store.records.list(def, { q: 'tiexn', limit: 100 })).items).toHaveLength(0);
    expect((await store.records.list(def, { anyOf: [{ field: 'ownerId', values: ['u-odd'] }, { field: 'code', values: ['K-0'] }], limit: 100 })).items).toHaveLength(5);

    const seen: string[] = [];
    let after: { value: string; id: string } | undefined;
    do {
      const page = await store.records.list(def, { q: 'name', sort: { field: 'name', desc: true }, limit: 2, ...(after ? { after } : {}) });
      seen.push(...page.items.map((r) => r.id));
      after = page.next;
    } while (after);
    expect(seen).toEqual(['k-8', 'k-7', 'k-6', 'k-5', 'k-4', 'k-3', 'k-2', 'k-1', 'k-0']);
  });

  it('keeps one lineage row per field: a later write replaces the rows of the fields it wrote, the others stay', async () => {
    await store.lineage.record('customer', 'lin-1', ['name', 'phone', 'email'], 'hub', null, 1, '2026-01-01T00:00:00.000Z');
    await store.lineage.record('customer', 'lin-1', ['phone', 'email'], 'erp', 'job-7', 2, '2026-01-02T00:00:00.000Z');
    await store.lineage.record('customer', 'lin-1', ['email'], 'crm', null, 3, '2026-01-03T00:00:00.000Z');
    expect(await store.lineage.forRecord('customer', 'lin-1')).toEqual([
      { field: 'email', system: 'crm', job: null, version: 3, at: '2026-01-03T00:00:00.000Z' },
      { field: 'name', system: 'hub', job: null, version: 1, at: '2026-01-01T00:00:00.000Z' },
      { field: 'phone', system: 'erp', job: 'job-7', version: 2, at: '2026-01-02T00:00:00.000Z' },
    ]);
  });

  it('writes lineage of many new records in multi-row statements, splitting past 500 rows per statement', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`);
    await store.transaction((tx) => tx.lineage.recordNew(ids.map((id) => ({ entity: 'customer', recordId: id, fields: ['code', 'name', 'currency', 'email'], version: 1, at: '2026-02-01T00:00:00.000Z' })), 'erp', 'backfill-1'));
    const many = await store.lineage.forRecords('customer', ids);
    expect(many.size).toBe(300);
    expect([...many.values()].every((m) => m.size === 4)).toBe(true);
    expect(many.get('bulk-299')?.get('email')).toEqual({ field: 'email', system: 'erp', job: 'backfill-1', version: 1, at: '2026-02-01T00:00:00.000Z' });
  });

  it('saves new and existing links together: changed ones keep the hashes not given, a taken external id moves, a repeated hub id takes its last values', async () => {
    const at1 = '2026-03-01T00:00:00.000Z';
    const at2 = '2026-03-02T00:00:00.000Z';
    const first = Array.from({ length: 250 }, (_, i) => ({ hubId: `lk-${i}`, externalId: `E-${i}`, outHash: `o${i}`, echoHash: `e${i}`, inHash: `i${i}`, deliveredAt: at1 }));
    await store.transaction((tx) => tx.links.save('sink', 'customer', first, at1));
    // 249 changed (out hash only), one new, lk-0 takes E-1 from lk-1, lk-2 named twice.
    const second = [
      ...first.slice(3).map((l) => ({ hubId: l.hubId, externalId: l.externalId, outHash: `O${l.hubId}`, deliveredAt: at2 })),
      { hubId: 'lk-new', externalId: 'E-new', outHash: 'onew' },
      { hubId: 'lk-0', externalId: 'E-1' },
      { hubId: 'lk-2', externalId: 'E-2', outHash: 'first' },
      { hubId: 'lk-2', externalId: 'E-2b', outHash: 'last' },
    ];
    await store.transaction((tx) => tx.links.save('sink', 'customer', second, at2));
    const links = await store.links.byHub('sink', 'customer', [...first.map((l) => l.hubId), 'lk-new']);
    expect(links.size).toBe(250); // lk-1 lost E-1 to lk-0; lk-new came
    expect(links.has('lk-1')).toBe(false);
    expect(links.get('lk-0')).toEqual({ hubId: 'lk-0', externalId: 'E-1', outHash: 'o0', echoHash: 'e0', inHash: 'i0', deliveredAt: at1 });
    expect(links.get('lk-2')).toMatchObject({ externalId: 'E-2b', outHash: 'last', echoHash: 'e2' });
    expect(links.get('lk-200')).toEqual({ hubId: 'lk-200', externalId: 'E-200', outHash: 'Olk-200', echoHash: 'e200', inHash: 'i200', deliveredAt: at2 });
    expect(links.get('lk-new')).toEqual({ hubId: 'lk-new', externalId: 'E-new', outHash: 'onew', echoHash: null, inHash: null, deliveredAt: null });
    expect((await store.links.byExternal('sink', 'customer', ['E-1'])).get('E-1')?.hubId).toBe('lk-0');
    expect(await store.links.count('sink', 'customer')).toBe(250);
  });

  it('runs the record service with references, versions and dependents on this store', async () => {
    const service = new RecordService(store, { quotaOrderTypes: ['standard'] });
    const c = await service.create('customer', { code: 'SVC-1', name: 'Service GmbH', currency: 'EUR' });
    const p = await service.create('product', { sku: 'SVC-SKU', name: 'Thing', currency: 'EUR' });
    const o = await service.create('order', { number: 'SVC-SO', customerId: c.record.id, orderDate: '2026-03-01', currency: 'EUR', lines: [{ productId: p.record.id, quantity: '1', unitPrice: '5.00' }] });
    expect(o.record).toMatchObject({ total: '5.00', version: 1 });
    await expect(service.remove('customer', c.record.id, undefined)).rejects.toMatchObject({ status: 409 });
    const u = await service.update('order', o.record.id, { status: 'confirmed' }, 1);
    expect(u.record.version).toBe(2);
    expect(u.fields).toEqual(['status']);
    await expect(service.update('order', o.record.id, { status: 'shipped' }, 1)).rejects.toMatchObject({ status: 412 });
  });
});

describe('the embedded store', () => {
  it('refuses, instead of deadlocking, a query on the outer store inside a transaction', async () => {
    const place = await freshStoreUrl('sqlite');
    const store = await Store.open(place.url, place.dataDir);
    try {
      await expect(store.transaction(async () => store.records.get(ENTITIES.customer, 'x'))).rejects.toThrow(/use the transaction store/);
      // Outside a transaction, and through tx inside one, queries work.
      expect(await store.records.get(ENTITIES.customer, 'x')).toBeUndefined();
      expect(await store.transaction((tx) => tx.records.get(ENTITIES.customer, 'x'))).toBeUndefined();
    } finally {
      await store.close();
      await place.cleanup();
    }
  });

  it('starts transactions with the write lock held, so a second process committing in between cannot fail them', async () => {
    // Two processes on one file (hub serve + hub worker): with a deferred BEGIN, a transaction that read
    // before another connection committed failed its first write with SQLITE_BUSY_SNAPSHOT, at once.
    const place = await freshStoreUrl('sqlite');
    const store = await Store.open(place.url, place.dataDir);
    const other = new Database(join(place.dataDir, 'hub.sqlite'));
    other.pragma('busy_timeout = 0');
    try {
      await store.transaction(async (tx) => {
        expect(await tx.records.get(def, 'lock-1')).toBeUndefined();
        // The other connection cannot slip a write in while this transaction is open.
        expect(() => other.prepare('INSERT INTO hub_outbox (entity, record_id, op, version, created_at) VALUES (?, ?, ?, ?, ?)').run('customer', 'x', 'upsert', 1, 'now')).toThrow(
          expect.objectContaining({ code: 'SQLITE_BUSY' }),
        );
        await tx.records.insert(def, customer('lock-1', 'L-1', 'Locked'));
      });
      expect(await store.records.get(def, 'lock-1')).toMatchObject({ code: 'L-1' });
      // Once it committed, the other connection writes.
      other.prepare('INSERT INTO hub_outbox (entity, record_id, op, version, created_at) VALUES (?, ?, ?, ?, ?)').run('customer', 'x', 'upsert', 1, 'now');
    } finally {
      other.close();
      await store.close();
      await place.cleanup();
    }
  });
});
