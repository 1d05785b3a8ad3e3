import type { RecordOutcome, UpsertRequest } from '../contract.js';
import { rowsPerStatement, type CompiledQuery, type ErrorClass, type SqlDialect } from './dialect.js';
import type { SqlConnection } from './driver.js';
import { externalIdOf, KEY_SEPARATOR, type Table } from './table.js';
import type { TableShape } from './table-info.js';

/**
 * Upserts and deletes: one multi-row statement per chunk, in a transaction; a chunk that fails
 * permanently is run row by row so the good rows land and only the bad ones are reported.
 *
 * Records that name the same key, as the database compares it (the dialect's `foldKey`: a
 * case-insensitive collation makes `abc` and `ABC` one key), never share a statement — SQL Server's
 * MERGE refuses a source with two rows for one target row (error 8672) — and run in request order:
 * the later one wins, as it would in a later batch. Each record is placed in the wave after its
 * key's previous occurrence; waves run one after the other.
 */

export interface WriteContext {
  readonly dialect: SqlDialect;
  withConnection<T>(f: (c: SqlConnection) => Promise<T>): Promise<T>;
  failure(err: unknown): ErrorClass;
}

const isScalar = (v: unknown) => v === null || v instanceof Date || Buffer.isBuffer(v) || ['string', 'number', 'boolean', 'bigint'].includes(typeof v);

/** The key a record has under the columns' collations, as one string. */
function foldedKey(dialect: SqlDialect, shape: TableShape | undefined, key: readonly string[], values: readonly unknown[]): string {
  const fold = dialect.foldKey;
  return JSON.stringify(key.map((k, i) => {
    const v = fold ? fold(values[i], shape?.columnInfo.get(k)) : values[i];
    return typeof v === 'bigint' ? v.toString() : v instanceof Date ? v.toISOString() : Buffer.isBuffer(v) ? v.toString('hex') : v;
  }));
}

/** Items in waves: within a wave no folded key twice; a key's occurrences in increasing waves. */
export function inWaves<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const seen = new Map<string, number>();
  const waves: T[][] = [];
  for (const item of items) {
    const k = keyOf(item);
    const wave = seen.get(k) ?? 0;
    seen.set(k, wave + 1);
    (waves[wave] ??= []).push(item);
  }
  return waves;
}

/** Chunks of at most `size`. */
const chunksOf = <T>(items: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

async function runChunk<T>(ctx: WriteContext, conn: SqlConnection, items: readonly T[], build: (items: readonly T[]) => CompiledQuery, idOf: (item: T) => string): Promise<RecordOutcome[]> {
  const q = build(items);
  try {
    await conn.beginTransaction();
    await conn.query(q.sql, q.params);
    await conn.commit();
    return items.map((i) => ({ ok: true, externalId: idOf(i) }));
  } catch (e) {
    await conn.rollback().catch(() => undefined);
    const c = ctx.failure(e);
    if (c.kind === 'retryable' || items.length === 1) return items.map(() => ({ ok: false, kind: c.kind, code: c.code, message: c.message }));
  }
  const outcomes: RecordOutcome[] = [];
  for (const item of items) {
    const one = build([item]);
    try {
      await conn.query(one.sql, one.params);
      outcomes.push({ ok: true, externalId: idOf(item) });
    } catch (e) {
      const c = ctx.failure(e);
      outcomes.push({ ok: false, kind: c.kind, code: c.code, message: c.message });
    }
  }
  return outcomes;
}

export async function upsertRecords(ctx: WriteContext, t: Table, shape: TableShape | undefined, records: readonly UpsertRequest[]): Promise<RecordOutcome[]> {
  const { dialect } = ctx;
  const outcomes: RecordOutcome[] = new Array<RecordOutcome>(records.length);
  const items: { index: number; columns: string[]; values: unknown[]; id: string; folded: string }[] = [];
  records.forEach((r, index) => {
    const present = Object.keys(r.payload).filter((k) => r.payload[k] !== undefined);
    const unknown = present.filter((k) => !t.writable.includes(k));
    const { id, missing: missingKey } = externalIdOf(t, r.payload);
    const notScalar = present.filter((k) => !isScalar(r.payload[k]));
    const problem = unknown.length
      ? `unknown column(s) ${unknown.join(', ')}`
      : missingKey.length
        ? `missing key column(s) ${missingKey.join(', ')}`
        : notScalar.length
          ? `non-scalar value in ${notScalar.join(', ')}`
          : null;
    if (problem) {
      outcomes[index] = { ok: false, kind: 'permanent', code: 'invalid_record', message: `${t.entity}: ${problem}` };
      return;
    }
    const columns = t.writable.filter((c) => present.includes(c));
    items.push({ index, columns, values: columns.map((c) => r.payload[c]), id, folded: foldedKey(dialect, shape, t.key, t.key.map((k) => r.payload[k])) });
  });
  if (items.length === 0) return outcomes;
  const columnInfo = shape?.columnInfo;
  await ctx.withConnection(async (conn) => {
    for (const wave of inWaves(items, (i) => i.folded)) {
      // Records with the same set of columns share statements; each keeps its request index.
      const groups = new Map<string, typeof wave>();
      for (const item of wave) {
        const sig = item.columns.join(KEY_SEPARATOR);
        groups.set(sig, [...(groups.get(sig) ?? []), item]);
      }
      for (const group of groups.values()) {
        const columns = group[0]!.columns;
        for (const chunk of chunksOf(group, rowsPerStatement(dialect, columns.length))) {
          const build = (xs: readonly (typeof chunk)[number][]) => dialect.upsert({ table: t.table, key: t.key, columns, rows: xs.map((x) => x.values), ...(columnInfo ? { columnInfo } : {}) });
          const res = await runChunk(ctx, conn, chunk, build, (i) => i.id);
          chunk.forEach((item, i) => (outcomes[item.index] = res[i]!));
        }
      }
    }
  });
  return outcomes;
}

export async function deleteRecords(ctx: WriteContext, t: Table, shape: TableShape | undefined, externalIds: readonly string[]): Promise<RecordOutcome[]> {
  const { dialect } = ctx;
  const outcomes: RecordOutcome[] = new Array<RecordOutcome>(externalIds.length);
  const items: { index: number; id: string; key: string[]; folded: string }[] = [];
  externalIds.forEach((id, index) => {
    const key = t.key.length === 1 ? [id] : id.split(KEY_SEPARATOR);
    if (key.length !== t.key.length) outcomes[index] = { ok: false, kind: 'permanent', code: 'invalid_id', message: `${t.entity}: external id needs ${t.key.length} parts` };
    else items.push({ index, id, key, folded: foldedKey(dialect, shape, t.key, key) });
  });
  if (items.length === 0) return outcomes;
  const softDelete = t.deletedFlag !== undefined ? { column: t.deletedFlag, value: true } : undefined;
  const size = rowsPerStatement(dialect, t.key.length + (softDelete ? 1 : 0));
  const columnInfo = shape?.columnInfo;
  await ctx.withConnection(async (conn) => {
    for (const wave of inWaves(items, (i) => i.folded)) {
      for (const chunk of chunksOf(wave, size)) {
        const build = (xs: readonly (typeof chunk)[number][]) =>
          dialect.delete({ table: t.table, key: t.key, keys: xs.map((x) => x.key), ...(softDelete ? { softDelete } : {}), ...(columnInfo ? { columnInfo } : {}) });
        const res = await runChunk(ctx, conn, chunk, build, (i) => i.id);
        chunk.forEach((item, i) => (outcomes[item.index] = res[i]!));
      }
    }
  });
  return outcomes;
}
