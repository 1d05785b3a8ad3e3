import { CompiledQuery } from 'kysely';
import type { Db, StoreDialect } from './database.js';

/**
 * Multi-row INSERTs for the store's hot paths (a backfill writes hundreds of records, links, lineage
 * and outbox rows per page), written as SQL text directly instead of through Kysely's builder.
 *
 * Why: the builder makes and freezes an operation node per value and compiles it afresh for every
 * statement; for a 100-row × 15-column insert that was about as much CPU as SQLite's own work for the
 * insert (bench/backfill.ts profile: ~45 µs per ingested record of ~340). The text here is the same
 * for every statement of one shape and is cached, which also lets the SQLite statement cache find it
 * by an already hashed string. Plugins still see each statement (the outer-store guard).
 */

/** Bound parameters per statement: under SQLite's 32,766 and MySQL's 65,535. */
const MAX_PARAMS = 30_000;
/** Rows per statement at most (smaller statements keep the prepared-statement cache small). */
const MAX_ROWS = 500;

const texts = new Map<string, string>();

function quote(dialect: StoreDialect, name: string): string {
  return dialect === 'mysql' ? `\`${name}\`` : `"${name}"`;
}

/** On a clash of `key` (a primary key or unique index), the row updates these columns instead. */
export interface OnConflict {
  readonly key: readonly string[];
  readonly update: readonly string[];
}

function conflictText(dialect: StoreDialect, conflict: OnConflict): string {
  const q = (c: string) => quote(dialect, c);
  return dialect === 'mysql'
    ? ` on duplicate key update ${conflict.update.map((c) => `${q(c)} = values(${q(c)})`).join(', ')}`
    : ` on conflict (${conflict.key.map(q).join(', ')}) do update set ${conflict.update.map((c) => `${q(c)} = excluded.${q(c)}`).join(', ')}`;
}

function statementText(dialect: StoreDialect, table: string, columns: readonly string[], rows: number, conflict?: OnConflict): string {
  const key = `${dialect}\u0000${table}\u0000${columns.join('\u0000')}\u0000${rows}${conflict ? `\u0000${conflict.key.join(',')}\u0000${conflict.update.join(',')}` : ''}`;
  let text = texts.get(key);
  if (text === undefined) {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    text = `insert into ${quote(dialect, table)} (${columns.map((c) => quote(dialect, c)).join(', ')}) values ${Array.from({ length: rows }, () => tuple).join(', ')}${conflict ? conflictText(dialect, conflict) : ''}`;
    if (texts.size >= 500) texts.clear();
    texts.set(key, text);
  }
  return text;
}

/**
 * Inserts `rows` (each an array of values in `columns` order; `undefined` is stored as NULL) into
 * `table`, in as few statements as the parameter limits allow. Runs on `db`, so inside a transaction
 * when given the transaction's connection. With `conflict`, a row whose key exists updates it
 * (`ON CONFLICT … DO UPDATE` / `ON DUPLICATE KEY UPDATE`; on MySQL any unique key counts, so the
 * caller must rule out clashes on the table's other unique keys).
 */
export async function insertRows(db: Db, dialect: StoreDialect, table: string, columns: readonly string[], rows: readonly (readonly unknown[])[], conflict?: OnConflict): Promise<void> {
  if (rows.length === 0) return;
  const width = columns.length;
  const perStatement = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / width)));
  for (let start = 0; start < rows.length; start += perStatement) {
    const count = Math.min(perStatement, rows.length - start);
    const params: unknown[] = new Array(count * width);
    let k = 0;
    for (let i = start; i < start + count; i++) {
      const row = rows[i]!;
      if (row.length !== width) throw new Error(`insertRows(${table}): a row has ${row.length} values for ${width} columns`);
      for (let j = 0; j < width; j++) params[k++] = row[j] === undefined ? null : row[j];
    }
    const compiled = CompiledQuery.raw(statementText(dialect, table, columns, count, conflict), params);
    // Let the plugins see the statement as they see every built one (they guard, they do not rewrite raw SQL).
    db.getExecutor().transformQuery(compiled.query, compiled.queryId);
    await db.executeQuery(compiled);
  }
}
