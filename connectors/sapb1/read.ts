import { ConnectorError, type ExternalRecord, type ReadPage } from '../contract.js';
import type { SapEntity } from './entities.js';
import { withTotal } from './payments.js';
import { allOf, countOf, getPage, listPath, type SapContext } from './query.js';
import { backBy, decodeCursor, encodeCursor, isAfter, later, MAX_KEYS_PER_SECOND, stampOf, type Mark, type SapCursor } from './watermark.js';

/**
 * Incremental reads of an entity set on `UpdateDate` + `UpdateTime`.
 *
 * The Service Layer filters on the date only (`$filter=UpdateDate ge '2026-12-03'`: `UpdateTime` is a
 * time of day, compared here rather than in a filter whose time literal differs between Service Layer
 * builds) and orders by `$orderby=UpdateDate,UpdateTime,<key>`; the connector drops the rows at or
 * before the watermark (see watermark.ts) and pages on (by `$skip`, see readAfter) while it does, so a day with
 * many changes costs more rows read, never a skipped one. With an overlap window, once the reader has
 * caught up the next read starts `overlapSeconds` before the high-water second and reads that window
 * again (a change committed late with an earlier stamp, or in the same second after the read): ingest
 * drops what is unchanged.
 */

export interface ReadOptions {
  /** Re-read window once caught up, in seconds. 0: none. */
  readonly overlapSeconds: number;
}

function keyText(row: ExternalRecord, field: string): string | undefined {
  const v = row[field];
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

/** A read row in the shape the mappings take: payments carry the connector's exact total (payments.ts). */
function shaped(entity: SapEntity, row: ExternalRecord): ExternalRecord {
  return entity.set === 'IncomingPayments' ? withTotal(row) : row;
}

/**
 * Rows strictly after `mark`, at most `limit`, paging the server as needed; and the mark after them.
 *
 * The Service Layer pages by offset (`$skip` in its next link). A row of the day that changes while the
 * read pages moves to the end, and every row after it moves one place up: following the server's link
 * would skip the row that crossed the page boundary, and the cursor would pass it. So each next page is
 * asked for here, a quarter of a page before where the last one ended; rows already taken are dropped
 * (`isAfter` the running mark). Up to that many rows may change during the read without one being lost.
 */
async function readAfter(ctx: SapContext, entity: SapEntity, mark: Mark | null, limit: number): Promise<{ rows: ExternalRecord[]; last: Mark | null }> {
  const since = mark === null ? undefined : `UpdateDate ge '${mark.at.slice(0, 10)}'`;
  const query = { $filter: allOf(entity.filter, since), $orderby: `UpdateDate,UpdateTime,${entity.key}` };
  let next: string | null = listPath(entity.set, query);
  let served = 0;
  const rows: ExternalRecord[] = [];
  let last: Mark | null = null;
  // How many rows at the head of the next page were asked for again (the step back).
  let again = 0;
  while (next !== null && rows.length < limit) {
    const page = await getPage(ctx, entity.set, next);
    for (const [i, row] of page.records.entries()) {
      const at = stampOf(row);
      const key = keyText(row, entity.key);
      if (at === undefined || key === undefined) throw new ConnectorError('permanent', 'invalid_response', `${ctx.name} ${entity.set} row lacks ${at === undefined ? 'a readable UpdateDate / UpdateTime' : entity.key}`);
      if (!isAfter(at, key, mark)) continue;
      if (last !== null && at < last.at) {
        // A row taken from the previous page, read again; anywhere else the server's order is broken.
        if (i < again) continue;
        throw new ConnectorError('permanent', 'unordered', `${ctx.name} ${entity.set} rows are not ordered by UpdateDate, UpdateTime`);
      }
      if (!isAfter(at, key, last)) continue;
      rows.push(shaped(entity, row));
      // The keys of this second delivered so far (the start mark's too, when it is the same second).
      const base: readonly string[] = last !== null && last.at === at ? last.keys : mark !== null && mark.at === at ? mark.keys : [];
      last = { at, keys: [...base, key].slice(-MAX_KEYS_PER_SECOND) };
      if (rows.length >= limit) break;
    }
    // A quarter of the page the server gave (it may give fewer rows than asked): always moves on.
    const margin = Math.floor(page.records.length / 4);
    served += page.records.length - margin;
    again = margin;
    next = rows.length >= limit || page.nextLink === null || page.records.length === 0 ? null : listPath(entity.set, { ...query, $skip: String(served) });
  }
  return { rows, last };
}

/** Reads after the cursor, with the HTTP connector's overlap rule (connectors/http/http-connector.ts). */
export async function readChanges(ctx: SapContext, entity: SapEntity, cursor: string | null, limit: number, options: ReadOptions): Promise<ReadPage> {
  const from: SapCursor | null = cursor === null ? null : decodeCursor(cursor);
  const overlap = options.overlapSeconds;
  let start: Mark | null = null;
  if (from?.rescan) start = from.rescan;
  else if (from?.caughtUp && overlap > 0) start = backBy(from, overlap) ?? from;
  else if (from) start = { at: from.at, keys: from.keys };
  let result = await readAfter(ctx, entity, start, limit);
  // Nothing after a full page's cursor: the reader has just caught up, so the re-read is done now.
  if (result.rows.length === 0 && from && !from.rescan && !from.caughtUp && overlap > 0) {
    const again = backBy(from, overlap);
    if (again) result = await readAfter(ctx, entity, again, limit);
  }
  const last = result.last;
  if (last === null) return { records: [], cursor: from !== null && overlap > 0 && !from.caughtUp ? encodeCursor({ at: from.at, keys: from.keys, caughtUp: true }) : null };
  const fromMark: Mark | null = from === null ? null : { at: from.at, keys: from.keys };
  const high = fromMark === null ? last : later(fromMark, last);
  const belowHigh = fromMark !== null && last.at < fromMark.at;
  let next: SapCursor;
  if (result.rows.length < limit) next = overlap > 0 ? { ...high, caughtUp: true } : high;
  else if (belowHigh) next = { ...high, rescan: last };
  else next = high;
  return { records: result.rows, cursor: encodeCursor(next) };
}

/** How many rows a read from `cursor` would still return: an estimate (the rows of the watermark's day are counted whole). */
export async function countChanges(ctx: SapContext, entity: SapEntity, cursor: string | null): Promise<number> {
  const from = cursor === null ? null : decodeCursor(cursor);
  return countOf(ctx, entity.set, allOf(entity.filter, from === null ? undefined : `UpdateDate ge '${from.at.slice(0, 10)}'`));
}
