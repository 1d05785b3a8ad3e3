import { CodedError } from '../../core/errors.js';
import { moveBack } from '../sql/cursor.js';
import { ParamList, type CompiledQuery, type CountSpec, type DeleteSpec, type ReadStart, type SqlDialect } from '../sql/dialect.js';
import { classifyPostgresError } from './postgres-errors.js';
import { moveBackText } from './postgres-time.js';

/**
 * PostgreSQL: `"` quoting (any name, `""` inside), `$n` placeholders, keyset reads by row comparison,
 * INSERT … ON CONFLICT (key) DO UPDATE. Values are only ever parameters; node-postgres sends them
 * untyped, and the server types each from where it stands (the column compared or inserted into).
 */

/** NAMEDATALEN - 1: PostgreSQL truncates longer names silently, so they are refused instead. */
export const MAX_NAME_BYTES = 63;

export class InvalidPostgresNameError extends CodedError {
  constructor(name: string, reason: string) {
    super('invalid_identifier', `Invalid PostgreSQL name ${JSON.stringify(name.slice(0, 140))}: ${reason}`);
  }
}

/** Throws unless `name` is one PostgreSQL name: 1–63 bytes of UTF-8, no NUL. */
export function checkName(name: string): string {
  if (name.length === 0) throw new InvalidPostgresNameError(name, 'empty');
  if (name.includes('\0')) throw new InvalidPostgresNameError(name, 'contains a NUL character');
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) throw new InvalidPostgresNameError(name, `longer than ${MAX_NAME_BYTES} bytes`);
  return name;
}

/** A table name as configured: `table` or `schema.table` (a name holding a dot cannot be configured). */
export function tableParts(name: string): readonly string[] {
  const parts = name.split('.');
  if (parts.length > 2) throw new InvalidPostgresNameError(name, 'write a table as table or schema.table (at most one dot)');
  parts.forEach(checkName);
  return parts;
}

/** `"name"`, doubling any `"` inside (docs 4.1.1, quoted identifiers). */
export const quoteName = (name: string): string => `"${checkName(name).replace(/"/g, '""')}"`;
/** `"schema"."table"` or `"table"` (then found through the search_path). */
export const quoteTable = (name: string): string => tableParts(name).map(quoteName).join('.');

export interface PostgresDialectOptions {
  /** The zone `timestamp` (without time zone) columns hold wall-clock times in; default UTC. */
  readonly timeZone?: string;
}

/** The keyset predicate (with its leading space), or '' from the beginning. */
function where(spec: { readonly watermark: string; readonly tieBreaker: string; readonly start: ReadStart | null }, p: ParamList): string {
  const wm = quoteName(spec.watermark);
  if (spec.start?.kind === 'from') return ` WHERE ${wm} >= ${p.add(spec.start.watermark)}`;
  // A row comparison (docs 9.24.5) is strictly-after on (watermark, tie-breaker) and scans a btree
  // index on those two columns. A null tie-breaker (cursorSince) makes rows on the watermark itself
  // compare as null, so only later watermarks are read.
  if (spec.start?.kind === 'after') return ` WHERE (${wm}, ${quoteName(spec.tieBreaker)}) > (${p.add(spec.start.watermark)}, ${p.add(spec.start.tieBreaker)})`;
  return '';
}

function keyMatch(spec: DeleteSpec, p: ParamList): string {
  if (spec.key.length === 1) return `${quoteName(spec.key[0]!)} IN (${spec.keys.map((k) => p.add(k[0])).join(', ')})`;
  const cols = spec.key.map(quoteName).join(', ');
  return `(${cols}) IN (${spec.keys.map((k) => `(${spec.key.map((_, i) => p.add(k[i])).join(', ')})`).join(', ')})`;
}

/** A PostgreSQL dialect whose watermarks move back in `timeZone` (see postgres-time.ts). */
export function createPostgresDialect(options: PostgresDialectOptions = {}): SqlDialect {
  const zone = options.timeZone ?? 'UTC';
  const params = () => new ParamList((i) => `$${i}`);
  const dialect: SqlDialect = {
    name: 'postgres',
    // The Bind message counts parameters in an Int16 (protocol docs, "Bind"): at most 65,535.
    maxParams: 65_535,
    maxRows: 1000,
    quote: quoteName,
    placeholder: (i) => `$${i}`,
    ping: () => ({ sql: 'SELECT 1', params: [] }),
    read(spec) {
      const p = params();
      const cols = spec.columns.map(quoteName).join(', ');
      const w = where(spec, p);
      const sql = `SELECT ${cols} FROM ${quoteTable(spec.table)}${w} ORDER BY ${quoteName(spec.watermark)}, ${quoteName(spec.tieBreaker)} LIMIT ${p.add(spec.limit)}`;
      return { sql, params: p.params };
    },
    count(spec: CountSpec) {
      const p = params();
      const w = where(spec, p);
      return { sql: `SELECT COUNT(*) AS "n" FROM ${quoteTable(spec.table)}${w}`, params: p.params };
    },
    upsert(spec): CompiledQuery {
      if (spec.rows.length === 0) throw new Error('upsert needs at least one row');
      const p = params();
      const values = spec.rows
        .map((row) => {
          if (row.length !== spec.columns.length) throw new Error('upsert row width differs from its columns');
          return `(${row.map((v) => p.add(v)).join(', ')})`;
        })
        .join(', ');
      const nonKey = spec.columns.filter((c) => !spec.key.includes(c));
      // The conflict target infers the unique index on exactly the key columns (docs: INSERT,
      // "ON CONFLICT Clause"); without one the server answers 42P10. With only key columns there is
      // nothing to update: DO NOTHING leaves the row as it is.
      const action = nonKey.length ? `DO UPDATE SET ${nonKey.map((c) => `${quoteName(c)} = EXCLUDED.${quoteName(c)}`).join(', ')}` : 'DO NOTHING';
      const sql = `INSERT INTO ${quoteTable(spec.table)} (${spec.columns.map(quoteName).join(', ')}) VALUES ${values} ON CONFLICT (${spec.key.map(quoteName).join(', ')}) ${action}`;
      return { sql, params: p.params };
    },
    delete(spec) {
      if (spec.keys.length === 0) throw new Error('delete needs at least one key');
      const p = params();
      const head = spec.softDelete
        ? `UPDATE ${quoteTable(spec.table)} SET ${quoteName(spec.softDelete.column)} = ${p.add(spec.softDelete.value)}`
        : `DELETE FROM ${quoteTable(spec.table)}`;
      return { sql: `${head} WHERE ${keyMatch(spec, p)}`, params: p.params };
    },
    classify: classifyPostgresError,
    checkIdentifier(name, role) {
      if (role === 'table') tableParts(name);
      else checkName(name);
    },
    moveBack: (watermark, overlapMs) => moveBackText(watermark, overlapMs, zone) ?? moveBack(watermark, overlapMs),
  };
  return Object.freeze(dialect);
}

/** The dialect for UTC. */
export const postgresDialect: SqlDialect = createPostgresDialect();

/**
 * Name, type and base type OID of each column of `table`, found as the statements find it
 * (`'name'::regclass` follows the search_path for an unqualified name, docs 8.19): 42P01 when there
 * is no such table, 42501 when its schema may not be used. A domain answers its base type.
 */
export function columnsQuery(table: string): CompiledQuery {
  return {
    sql:
      'SELECT a.attname AS "column_name", pg_catalog.format_type(a.atttypid, a.atttypmod) AS "data_type", ' +
      'CASE WHEN t.typtype = \'d\' THEN t.typbasetype ELSE t.oid END AS "type_oid" ' +
      'FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid ' +
      'WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum',
    params: [quoteTable(table)],
  };
}

/**
 * The column sets of the unique indexes ON CONFLICT can infer an arbiter from: valid, immediate
 * (not deferrable), without a predicate or expressions (docs: INSERT, "conflict_target").
 */
export function uniqueKeysQuery(table: string): CompiledQuery {
  return {
    sql:
      'SELECT (SELECT json_agg(a.attname) FROM unnest(i.indkey) AS k(n) JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n) AS "columns" ' +
      'FROM pg_catalog.pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indisvalid AND i.indimmediate AND i.indpred IS NULL AND i.indexprs IS NULL',
    params: [quoteTable(table)],
  };
}
