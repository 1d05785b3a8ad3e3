import { ConnectorError, type ExternalRecord, type ReadPage } from '../contract.js';
import { odataString } from '../http/odata.js';
import { odataQuery, type BcApi } from './client.js';
import type { BcEntity } from './entities.js';

/**
 * Incremental reads.
 *
 * Changed records (`modified`): `GET <set>?$filter=lastModifiedDateTime gt <m>&$orderby=lastModifiedDateTime,id`
 * with `Prefer: odata.maxpagesize=<limit>`, then BC's `@odata.nextLink` followed verbatim. BC cannot
 * filter "after (m, id)" itself — its filters cannot OR across two fields (Microsoft Learn, "Using
 * filter expressions in OData URIs": "you can't use OR operators to apply filters on two different
 * fields") — and an `id` is a GUID that SQL Server orders by its last bytes first, so the client
 * cannot compare two ids the way the server sorts them. Inside a run of equal timestamps the
 * connector therefore never compares ids: a read that stops at a full page keeps BC's next link in
 * its cursor (the server's own position in its `lastModifiedDateTime, id` order, which a record
 * changed meanwhile leaves and rejoins later), and a read that caught up keeps only the timestamp and
 * asks `gt` it next time. Timestamps are compared as instants (BC trims trailing zeros:
 * `…:21.73Z`), never as text. A record committed later with a timestamp at or before one already
 * read is not seen until it changes again (reconciliation finds it).
 *
 * Stock (`ledger`): an item's `inventory` is a FlowField; posting stock adds item ledger entries and
 * leaves the item's lastModifiedDateTime alone. The first read (no cursor) notes the last entry
 * number, then reads every item page by page; later reads take the entries after the noted number
 * (`$filter=entryNumber gt <e>&$orderby=entryNumber`) and read the items they name again
 * (`$filter=number eq '…' or number eq '…'`: OR on one field is allowed).
 */

interface ModifiedCursor {
  /** lastModifiedDateTime of the last record read, as BC wrote it. */
  readonly m?: string;
  /** BC's next link where the last read stopped at a full page. */
  readonly n?: string;
}

interface LedgerCursor {
  /** The last item ledger entry number taken into account. */
  readonly e: number;
  /** The next items page of a full pass under way. */
  readonly n?: string;
  /** A full pass is to start (a backfill from a point in time). */
  readonly p?: 1;
}

function encode(value: object): string {
  return Buffer.from(JSON.stringify({ v: 1, ...value })).toString('base64url');
}

function decode(cursor: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof value === 'object' && value !== null && (value as { v?: unknown }).v === 1) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ConnectorError('permanent', 'bad_cursor', 'The read cursor is not one this connector issued');
}

function modifiedCursor(cursor: string | null): ModifiedCursor {
  if (cursor === null) return {};
  const value = decode(cursor);
  const { m, n } = value;
  if ((m !== undefined && (typeof m !== 'string' || Number.isNaN(Date.parse(m)))) || (n !== undefined && typeof n !== 'string') || 'e' in value) {
    throw new ConnectorError('permanent', 'bad_cursor', 'The read cursor is not one this connector issued for this entity');
  }
  return { ...(m === undefined ? {} : { m: m as string }), ...(n === undefined ? {} : { n: n as string }) };
}

function ledgerCursor(cursor: string | null): LedgerCursor | null {
  if (cursor === null) return null;
  const { e, n, p } = decode(cursor);
  if (p === 1) return null;
  if (typeof e !== 'number' || !Number.isSafeInteger(e) || (n !== undefined && typeof n !== 'string')) throw new ConnectorError('permanent', 'bad_cursor', 'The read cursor is not one this connector issued for this entity');
  return { e, ...(n === undefined ? {} : { n: n as string }) };
}

/** A cursor from which a read returns what changed at or after `since` (1 ms early: BC's filter is `gt`). */
export function cursorSince(def: BcEntity, since: string): string {
  const at = Date.parse(since);
  if (Number.isNaN(at)) throw new ConnectorError('permanent', 'invalid_since', 'since is not a date-time');
  // Stock has no time of change: a full pass over the items reads it all.
  return def.read === 'ledger' ? encode({ e: 0, p: 1 }) : encode({ m: new Date(at - 1).toISOString() });
}

function invalid(what: string, detail: string): ConnectorError {
  return new ConnectorError('permanent', 'invalid_response', `Business Central ${what}: ${detail}`);
}

/** Reads records changed after the cursor; see the file comment. */
export async function readModified(api: BcApi, what: string, path: string, def: BcEntity, cursor: string | null, limit: number): Promise<ReadPage> {
  const from = modifiedCursor(cursor);
  const fromMs = from.m === undefined ? undefined : Date.parse(from.m);
  let link = from.n ?? `${path}${odataQuery({ $filter: from.m === undefined ? undefined : `lastModifiedDateTime gt ${from.m}`, $orderby: 'lastModifiedDateTime,id', $expand: def.expand })}`;
  const kept: ExternalRecord[] = [];
  let m = from.m;
  let lastMs = fromMs ?? -Infinity;
  for (;;) {
    const page = await api.page(link, what, limit);
    for (const row of page.records) {
      const modified = row['lastModifiedDateTime'];
      const ms = typeof modified === 'string' ? Date.parse(modified) : NaN;
      if (typeof row['id'] !== 'string' || row['id'] === '' || Number.isNaN(ms)) throw invalid(what, 'a record lacks id or lastModifiedDateTime');
      if (ms < lastMs) throw new ConnectorError('permanent', 'unordered', `Business Central ${what}: records are not ordered by lastModifiedDateTime (or the filter was not applied)`);
      lastMs = ms;
      m = modified as string;
      // A `gt` filter at a coarser precision than the timestamps read may answer the last one again.
      if (from.n === undefined && fromMs !== undefined && ms <= fromMs) continue;
      if (def.wanted === undefined || def.wanted(row)) kept.push(row);
    }
    if (page.nextLink === null) return { records: kept, cursor: m === undefined ? cursor : encode({ m }) };
    if (kept.length >= limit) return { records: kept, cursor: encode({ ...(m === undefined ? {} : { m }), n: page.nextLink }) };
    link = page.nextLink;
  }
}

/** Items named in chunks of `size` (`number eq 'A' or number eq 'B' …`), to keep URLs short. */
async function itemsByNumber(api: BcApi, what: string, numbers: readonly string[], size = 20): Promise<ExternalRecord[]> {
  const out: ExternalRecord[] = [];
  for (let i = 0; i < numbers.length; i += size) {
    const filter = numbers.slice(i, i + size).map((n) => `number eq ${odataString(n)}`).join(' or ');
    out.push(...(await api.all(`${api.company('items')}${odataQuery({ $filter: filter })}`, what)));
  }
  return out;
}

function entryNumber(row: ExternalRecord, what: string): number {
  const n = row['entryNumber'];
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw invalid(what, 'an item ledger entry lacks entryNumber');
  return n;
}

/** Reads items' stock; see the file comment. */
export async function readLedger(api: BcApi, what: string, cursor: string | null, limit: number): Promise<ReadPage> {
  const from = ledgerCursor(cursor);
  if (from === null || from.n !== undefined) {
    // A full pass: the ledger's last entry first, so that stock posted while the pass runs is read after it.
    let e = from?.e ?? 0;
    if (from === null) {
      const last = await api.page(`${api.company('itemLedgerEntries')}${odataQuery({ $orderby: 'entryNumber desc', $top: 1 })}`, what);
      e = last.records.length === 0 ? 0 : entryNumber(last.records[0]!, what);
    }
    const page = await api.page(from?.n ?? `${api.company('items')}${odataQuery({ $orderby: 'number' })}`, what, limit);
    for (const row of page.records) if (typeof row['id'] !== 'string' || typeof row['number'] !== 'string') throw invalid(what, 'an item lacks id or number');
    return { records: page.records, cursor: encode(page.nextLink === null ? { e } : { e, n: page.nextLink }) };
  }
  const numbers: string[] = [];
  let e = from.e;
  let link: string | null = `${api.company('itemLedgerEntries')}${odataQuery({ $filter: `entryNumber gt ${from.e}`, $orderby: 'entryNumber' })}`;
  collect: while (link !== null) {
    const page: { records: readonly ExternalRecord[]; nextLink: string | null } = await api.page(link, what, 1000);
    for (const row of page.records) {
      const n = entryNumber(row, what);
      if (n <= e) throw new ConnectorError('permanent', 'unordered', `Business Central ${what}: item ledger entries are not ordered by entryNumber (or the filter was not applied)`);
      const item = row['itemNumber'];
      if (typeof item !== 'string') throw invalid(what, 'an item ledger entry lacks itemNumber');
      if (!numbers.includes(item)) {
        if (numbers.length >= limit) break collect;
        numbers.push(item);
      }
      e = n;
    }
    link = page.nextLink;
  }
  if (numbers.length === 0) return { records: [], cursor: e === from.e ? cursor : encode({ e }) };
  const items = await itemsByNumber(api, what, numbers);
  // An item deleted since its entry was posted has no stock to report.
  const order = new Map(numbers.map((n, i) => [n.toUpperCase(), i]));
  items.sort((a, b) => (order.get(String(a['number']).toUpperCase()) ?? 0) - (order.get(String(b['number']).toUpperCase()) ?? 0));
  return { records: items, cursor: encode({ e }) };
}
