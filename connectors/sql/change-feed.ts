import { ConnectorError, type ExternalRecord, type ReadPage } from '../contract.js';
import { CHANGE_OPERATION, CHANGE_VERSION, type ChangeFeedDialect, type ChangeFeedSpec } from './change-feed-sql.js';
import { cursorJson, decodeValue, encodeValue, InvalidCursorError } from './cursor.js';
import { countOf, type ReadContext } from './keyset-read.js';
import type { Table } from './table.js';
import type { TableShape } from './table-info.js';

/**
 * Reads a table through the database's change feed (SQL Server Change Tracking), following
 * Microsoft's "Work with change tracking" steps:
 * 1. the first read pages through the whole table by primary key (the initial load), after taking the
 *    current version, which the changes then start from (rows changed during the load come again);
 * 2. later reads page through `CHANGETABLE(CHANGES …, since)` up to the version current when the pass
 *    began, in (version, primary key) order; a deleted row arrives with its primary key and operation
 *    `D` (`isDeleted`), the others with the table's columns as they are now;
 * 3. before and after each page of changes, `since` is checked against the table's oldest valid version
 *    (`CHANGE_TRACKING_MIN_VALID_VERSION`): a cursor older than it (the cleanup removed changes it had
 *    not read) restarts with a full re-read, as Microsoft prescribes ("the application must
 *    reinitialize all the data"); deletes made in the gap cannot be seen, a reconciliation finds them.
 */

type Phase = { readonly phase: 'load'; readonly since: bigint | null; readonly after: readonly unknown[] | null } | { readonly phase: 'changes'; readonly since: bigint; readonly upto: bigint | null; readonly after: { readonly version: bigint; readonly key: readonly unknown[] } | null };

const bad = () => new ConnectorError('permanent', 'invalid_cursor', new InvalidCursorError().message);
const version = (v: unknown): bigint => {
  if (typeof v === 'bigint') return v;
  if ((typeof v === 'string' && /^\d{1,20}$/.test(v)) || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) return BigInt(v);
  throw bad();
};

export function encodeFeedCursor(p: Phase): string {
  const json: Record<string, unknown> = { v: 1, f: p.phase };
  if (p.since !== null) json['s'] = p.since.toString();
  if (p.phase === 'changes' && p.upto !== null) json['u'] = p.upto.toString();
  if (p.after) json['a'] = p.phase === 'load' ? p.after.map(encodeValue) : [p.after.version.toString(), ...p.after.key.map(encodeValue)];
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

export function decodeFeedCursor(cursor: string | null): Phase {
  if (cursor === null) return { phase: 'load', since: null, after: null };
  let o: Record<string, unknown>;
  try {
    o = cursorJson(cursor);
  } catch {
    throw bad();
  }
  const a = o['a'];
  if (o['v'] !== 1 || (a !== undefined && (!Array.isArray(a) || a.length === 0))) throw bad();
  const values = (xs: readonly unknown[]) => {
    try {
      return xs.map(decodeValue);
    } catch {
      throw bad();
    }
  };
  if (o['f'] === 'load') return { phase: 'load', since: o['s'] === undefined ? null : version(o['s']), after: a ? values(a as unknown[]) : null };
  if (o['f'] !== 'changes' || o['s'] === undefined) throw bad();
  const after = a ? { version: version((a as unknown[])[0]), key: values((a as unknown[]).slice(1)) } : null;
  return { phase: 'changes', since: version(o['s']), upto: o['u'] === undefined ? null : version(o['u']), after };
}

/** The cursor `cursorSince` gives a change-tracked table: Change Tracking keeps no times, so a full read (a superset). */
export const FEED_FROM_START = encodeFeedCursor({ phase: 'load', since: null, after: null });

interface Plan {
  readonly feed: ChangeFeedDialect;
  readonly base: ChangeFeedSpec;
}

/** The statements' common part, after checking that deletes can name their records. */
async function planOf(ctx: ReadContext, t: Table): Promise<Plan> {
  const feed = ctx.dialect.changeFeed;
  const shape: TableShape | undefined = await ctx.shape(t);
  const fail = (why: string) => new ConnectorError('permanent', 'invalid_config', `${ctx.name}: ${t.entity}: changeTracking ${why}`);
  if (!feed || !shape) throw fail(`is not available for ${ctx.dialect.name}`);
  if (shape.primaryKey.length === 0) throw fail(`needs a primary key on ${t.table}`);
  // Configured names where the configuration names a primary key column; else the database's.
  const configured = [...t.readColumns];
  const primaryKey = shape.primaryKey.map((db) => configured.find((c) => c.toLowerCase() === db.toLowerCase()) ?? db);
  const lower = new Set(primaryKey.map((c) => c.toLowerCase()));
  const notPk = t.key.filter((k) => !lower.has(k.toLowerCase()));
  if (notPk.length) throw fail(`needs the key to be primary key columns (a deleted row carries only its primary key): ${notPk.join(', ')} is not`);
  const columns = t.readColumns.filter((c) => !lower.has(c.toLowerCase()));
  const columnInfo = new Map(shape.columnInfo);
  for (const pk of primaryKey) {
    const info = shape.all.find((c) => c.name.toLowerCase() === pk.toLowerCase());
    if (info && !columnInfo.has(pk)) columnInfo.set(pk, info);
  }
  return { feed, base: { table: t.table, primaryKey, columns, columnInfo, exact: shape.exact } };
}

async function versionsOf(ctx: ReadContext, t: Table, feed: ChangeFeedDialect): Promise<{ current: bigint; minValid: bigint }> {
  const rows = await ctx.query(feed.versions(t.table), `read ${t.entity} failed`);
  const row = rows[0] ?? {};
  if (row['min_valid_version'] === null || row['min_valid_version'] === undefined || row['current_version'] === null || row['current_version'] === undefined) {
    throw new ConnectorError('permanent', 'change_tracking_disabled', `${ctx.name}: ${t.entity}: change tracking is not enabled for ${t.table} (or the login lacks VIEW CHANGE TRACKING on it)`);
  }
  try {
    return { current: version(row['current_version']), minValid: version(row['min_valid_version']) };
  } catch {
    throw new ConnectorError('permanent', 'invalid_response', `${ctx.name}: ${t.entity}: the change tracking versions are not numbers`);
  }
}

const strip = (row: Readonly<Record<string, unknown>>): ExternalRecord => {
  const { [CHANGE_VERSION]: _v, ...rest } = row;
  return rest;
};

export async function changeFeedRead(ctx: ReadContext, t: Table, cursor: string | null, limit: number): Promise<ReadPage> {
  let at = decodeFeedCursor(cursor);
  const { feed, base } = await planOf(ctx, t);
  const what = `read ${t.entity} failed`;
  const keyOf = (row: Readonly<Record<string, unknown>>) => base.primaryKey.map((c) => row[c]);
  let versions = await versionsOf(ctx, t, feed);
  for (let step = 0; step < 4; step++) {
    if (at.phase === 'changes' && at.since < versions.minValid) at = { phase: 'load', since: null, after: null };
    if (at.phase === 'load') {
      const since = at.since ?? versions.current;
      const rows = await ctx.query(feed.load({ ...base, after: at.after, limit }), what);
      const last = rows.at(-1);
      if (!last) {
        // An empty table: nothing to deliver (the next read loads again). Past a full last page: the load is done.
        if (at.after === null) return { records: [], cursor: null };
        at = { phase: 'changes', since, upto: null, after: null };
        continue;
      }
      const next: Phase = rows.length < limit ? { phase: 'changes', since, upto: null, after: null } : { phase: 'load', since, after: keyOf(last) };
      return { records: rows as ExternalRecord[], cursor: encodeFeedCursor(next) };
    }
    const upto = at.upto ?? versions.current;
    const rows = await ctx.query(feed.changes({ ...base, since: at.since, upto, after: at.after, limit }), what);
    // The cleanup may have run between the check and the read: check again (Microsoft's alternative to snapshot isolation).
    versions = await versionsOf(ctx, t, feed);
    if (at.since < versions.minValid) continue;
    const last = rows.at(-1);
    if (!last) {
      // Nothing new: the caller keeps its cursor. Past a full last page of a pass: the pass is done, start the next.
      if (at.upto === null) return { records: [], cursor: null };
      at = { phase: 'changes', since: upto, upto: null, after: null };
      continue;
    }
    const next: Phase = rows.length < limit ? { phase: 'changes', since: upto, upto: null, after: null } : { phase: 'changes', since: at.since, upto, after: { version: version(last[CHANGE_VERSION]), key: keyOf(last) } };
    return { records: rows.map(strip), cursor: encodeFeedCursor(next) };
  }
  throw new ConnectorError('retryable', 'change_tracking_cleanup', `${ctx.name}: ${t.entity}: change tracking cleanup kept overtaking the read`);
}

export async function changeFeedCount(ctx: ReadContext, t: Table, cursor: string | null): Promise<number> {
  const at = decodeFeedCursor(cursor);
  const { feed, base } = await planOf(ctx, t);
  const { primaryKey, table, columnInfo } = base;
  const versions = await versionsOf(ctx, t, feed);
  const q =
    at.phase === 'changes' && at.since >= versions.minValid
      ? feed.countChanges({ table, primaryKey, ...(columnInfo ? { columnInfo } : {}), since: at.since, after: at.after })
      : feed.countLoad({ table, primaryKey, columns: [], ...(columnInfo ? { columnInfo } : {}), after: at.phase === 'load' ? at.after : null });
  return countOf(ctx, t, await ctx.query(q, `count ${t.entity} failed`));
}

/** A change-feed row that reports a delete. */
export const isFeedDelete = (record: ExternalRecord): boolean => record[CHANGE_OPERATION] === 'D';
