import { ENTITIES, type StoredRecord } from '../../core/model/entities.js';
import type { ListPosition } from '../../core/store/records.js';
import type { Store } from '../../core/store/store.js';

/** Stored statuses of receivables that may still be owed (the aging skips those with nothing left). */
export const OWED_STATUSES = ['open', 'partially_paid', 'overdue'] as const;

/** One status's keyset scan: the page in hand and where the next starts. */
interface Source {
  readonly status: string;
  page: StoredRecord[];
  at: number;
  next: ListPosition | undefined;
  done: boolean;
}

/**
 * Every receivable that may still be owed, in id order, a page at a time: one keyset scan per status,
 * merged. Each scan reads the (status, id) index in order; one scan over `status IN (…)` ordered by id
 * would make SQLite sort every remaining match for each page (quadratic: 28,000 instead of 100,000
 * records/s over 100,000 receivables), and a scan of every receivable would read the paid ones too,
 * usually most of them. Pages, not records, are what is awaited: an async step per record cost as
 * much as reading it. Ids are ASCII, so JavaScript's string order is the store's.
 */
export async function* owedReceivablePages(store: Store, pageSize = 2000): AsyncGenerator<StoredRecord[]> {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError('pageSize must be a positive integer');
  const def = ENTITIES.receivable;
  const fill = async (s: Source): Promise<void> => {
    const page = await store.records.list(def, { filters: { status: s.status }, sort: { field: 'id', desc: false }, limit: pageSize, ...(s.next ? { after: s.next } : {}) });
    s.page = page.items;
    s.at = 0;
    s.next = page.next;
    s.done = page.items.length === 0;
  };
  const sources: Source[] = OWED_STATUSES.map((status) => ({ status, page: [], at: 0, next: undefined, done: false }));
  for (const s of sources) await fill(s);
  let out: StoredRecord[] = [];
  for (;;) {
    let min: Source | undefined;
    for (const s of sources) if (!s.done && (!min || s.page[s.at]!.id < min.page[min.at]!.id)) min = s;
    if (!min) break;
    out.push(min.page[min.at++]!);
    if (min.at === min.page.length) {
      if (min.next) await fill(min);
      else min.done = true;
    }
    if (out.length >= pageSize) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}
