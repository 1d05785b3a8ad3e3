import type { EntityDef, StoredRecord } from '../model/entities.js';
import type { ListQuery } from '../store/records.js';
import type { Store } from '../store/store.js';

/** What a scan reads: a list query without its paging (the scan pages itself, in id order). */
export type ScanQuery = Omit<ListQuery, 'limit' | 'after' | 'sort'>;

/**
 * Every live record of an entity that matches `query` (equality filters, a row scope as `anyOf`),
 * one page at a time in id order: a report or a feed over any number of records holds one page in
 * memory. Keyset paging on the id never repeats or skips a record that exists for the whole scan.
 */
export async function* scanRecords(store: Store, def: EntityDef, query: ScanQuery = {}, pageSize = 2000): AsyncGenerator<StoredRecord> {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError('pageSize must be a positive integer');
  let after: ListQuery['after'];
  for (;;) {
    const page = await store.records.list(def, { ...query, sort: { field: 'id', desc: false }, limit: pageSize, ...(after ? { after } : {}) });
    for (const record of page.items) yield record;
    if (!page.next) return;
    after = page.next;
  }
}
