/**
 * The store floor of a backfill: the hub store's own statements for N records and nothing else (no
 * source read, mapping, validation, queue, projection or HTTP). A hub backfill cannot be faster than
 * this on the same store, whatever the code around it does, so `raw seconds ÷ floor seconds` bounds
 * the hub ÷ raw ratio any hub on this store could reach on this machine.
 *
 * The records are the hub's own (read back from the backfill's SQLite file) written into a fresh
 * store with the statements a backfill runs, in the same transactions of `page` records:
 *   ingest:   customers + outbox rows (records.insertMany), lineage of new records, source id links;
 *   delivery: the records and their target links read back, target id links written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ENTITIES, type StoredRecord } from '../core/model/entities.js';
import { Store } from '../core/store/store.js';

export interface StoreFloor {
  readonly seconds: number;
  readonly recordsPerSecond: number;
  /** Seconds spent per part: ingest writes, delivery reads, delivery link writes. */
  readonly parts: { readonly ingest: number; readonly deliveryReads: number; readonly deliveryLinks: number };
}

/** Reads the hub's customers back (in id order) from a backfill's SQLite file, with the fields their lineage names. */
function hubCustomers(dataDir: string): { record: StoredRecord; fields: string[] }[] {
  const db = new Database(join(dataDir, 'hub.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const fields = new Map<string, string[]>();
    for (const l of db.prepare("SELECT record_id, field FROM hub_lineage WHERE entity = 'customer'").iterate() as Iterable<{ record_id: string; field: string }>) {
      const list = fields.get(l.record_id);
      if (list) list.push(l.field);
      else fields.set(l.record_id, [l.field]);
    }
    const rows = db.prepare('SELECT id, data FROM hub_customers WHERE deleted_at IS NULL ORDER BY id').all() as { id: string; data: string }[];
    return rows.map((r) => ({ record: { ...(JSON.parse(r.data) as StoredRecord), id: r.id }, fields: fields.get(r.id) ?? [] }));
  } finally {
    db.close();
  }
}

/**
 * Writes the hub's records (from the backfill's data directory) into a fresh store: SQLite in a
 * temporary directory, or the MySQL database `storeUrl` names (an empty one: the caller's).
 */
export async function measureStoreFloor(hubDataDir: string, page: number, storeUrl?: string): Promise<StoreFloor & { records: number }> {
  const records = hubCustomers(hubDataDir);
  const dir = mkdtempSync(join(tmpdir(), 'hub-floor-'));
  const store = await Store.open(storeUrl, dir);
  const def = ENTITIES.customer;
  const parts = { ingest: 0, deliveryReads: 0, deliveryLinks: 0 };
  try {
    const t0 = performance.now();
    for (let i = 0; i < records.length; i += page) {
      const chunk = records.slice(i, i + page).map((r) => r.record);
      const lineage = records.slice(i, i + page).map((r) => r.fields);
      const at = new Date().toISOString();
      let t = performance.now();
      await store.transaction(async (tx) => {
        await tx.records.insertMany(def, chunk);
        await tx.lineage.recordNew(chunk.map((r, n) => ({ entity: 'customer', recordId: r.id, fields: lineage[n]!, version: 1, at })), 'erp', 'floor');
        await tx.links.save('erp', 'customer', chunk.map((r) => ({ hubId: r.id, externalId: String(r['code'] ?? r.id), inHash: 'h', echoHash: 'h' })), at);
      });
      parts.ingest += performance.now() - t;
      t = performance.now();
      const ids = chunk.map((r) => r.id);
      await store.records.getMany(def, ids);
      await store.links.byHub('sink', 'customer', ids);
      parts.deliveryReads += performance.now() - t;
      t = performance.now();
      await store.transaction((tx) => tx.links.save('sink', 'customer', chunk.map((r) => ({ hubId: r.id, externalId: `S-${r.id}`, outHash: 'h', echoHash: 'h', inHash: 'h', deliveredAt: at })), at));
      parts.deliveryLinks += performance.now() - t;
    }
    const seconds = (performance.now() - t0) / 1000;
    return { records: records.length, seconds, recordsPerSecond: records.length / seconds, parts: { ingest: parts.ingest / 1000, deliveryReads: parts.deliveryReads / 1000, deliveryLinks: parts.deliveryLinks / 1000 } };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
