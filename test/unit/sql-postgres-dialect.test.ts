import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { rowsPerStatement } from '../../connectors/sql/dialect.js';
import { SqlDriverError } from '../../connectors/sql/driver.js';
import { columnsQuery, createPostgresDialect, postgresDialect, quoteTable, uniqueKeysQuery } from '../../connectors/postgres/postgres-dialect.js';
import { classifyPostgresError } from '../../connectors/postgres/postgres-errors.js';

/**
 * The SQL the PostgreSQL dialect generates, checked against PostgreSQL 15's documented syntax:
 * quoted identifiers with "" doubling (docs 4.1.1), $n parameters (PREPARE / extended protocol),
 * row-constructor comparison for the keyset (docs 9.24.5), INSERT … ON CONFLICT (conflict_target)
 * DO UPDATE SET c = EXCLUDED.c (docs: INSERT), and the 65,535-parameter limit of the Bind message.
 */

const d = postgresDialect;
const read = { table: 'sales.customers', columns: ['id', 'customer_no', 'name'], watermark: 'modified_at', tieBreaker: 'id', limit: 100 } as const;
const W = '2026-01-02T03:04:05.678901Z';

describe('postgres dialect: statements', () => {
  it('reads the first page ordered by (watermark, tie-breaker), the table schema-qualified', () => {
    expect(d.read({ ...read, start: null })).toEqual({
      sql: 'SELECT "id", "customer_no", "name" FROM "sales"."customers" ORDER BY "modified_at", "id" LIMIT $1',
      params: [100],
    });
  });

  it('reads strictly after a cursor with a row comparison, the watermark bound as text at full precision', () => {
    expect(d.read({ ...read, start: { kind: 'after', watermark: W, tieBreaker: '42' } })).toEqual({
      sql: 'SELECT "id", "customer_no", "name" FROM "sales"."customers" WHERE ("modified_at", "id") > ($1, $2) ORDER BY "modified_at", "id" LIMIT $3',
      params: [W, '42', 100],
    });
  });

  it('re-reads from a watermark for the overlap window, and counts from the same start', () => {
    expect(d.read({ ...read, start: { kind: 'from', watermark: W } })).toEqual({
      sql: 'SELECT "id", "customer_no", "name" FROM "sales"."customers" WHERE "modified_at" >= $1 ORDER BY "modified_at", "id" LIMIT $2',
      params: [W, 100],
    });
    expect(d.count({ table: 'customers', watermark: 'modified_at', tieBreaker: 'id', start: { kind: 'after', watermark: W, tieBreaker: 7 } })).toEqual({
      sql: 'SELECT COUNT(*) AS "n" FROM "customers" WHERE ("modified_at", "id") > ($1, $2)',
      params: [W, 7],
    });
  });

  it('upserts with ON CONFLICT on the key columns, updating the other columns from EXCLUDED', () => {
    const q = d.upsert({ table: 'prices', key: ['sku', 'currency'], columns: ['sku', 'currency', 'amount'], rows: [['A', 'EUR', '1.10'], ['B', 'EUR', '2.20']] });
    expect(q).toEqual({
      sql: 'INSERT INTO "prices" ("sku", "currency", "amount") VALUES ($1, $2, $3), ($4, $5, $6) ON CONFLICT ("sku", "currency") DO UPDATE SET "amount" = EXCLUDED."amount"',
      params: ['A', 'EUR', '1.10', 'B', 'EUR', '2.20'],
    });
  });

  it('with only key columns there is nothing to update: DO NOTHING', () => {
    expect(d.upsert({ table: 't', key: ['k'], columns: ['k'], rows: [['x']] }).sql).toBe('INSERT INTO "t" ("k") VALUES ($1) ON CONFLICT ("k") DO NOTHING');
  });

  it('deletes by one key with IN, by two with a row IN list, and soft-deletes', () => {
    expect(d.delete({ table: 'customers', key: ['customer_no'], keys: [['C1'], ['C2']] })).toEqual({ sql: 'DELETE FROM "customers" WHERE "customer_no" IN ($1, $2)', params: ['C1', 'C2'] });
    expect(d.delete({ table: 'prices', key: ['sku', 'currency'], keys: [['A', 'EUR'], ['B', 'USD']] })).toEqual({
      sql: 'DELETE FROM "prices" WHERE ("sku", "currency") IN (($1, $2), ($3, $4))',
      params: ['A', 'EUR', 'B', 'USD'],
    });
    expect(d.delete({ table: 'customers', key: ['customer_no'], keys: [['C1']], softDelete: { column: 'is_deleted', value: true } })).toEqual({
      sql: 'UPDATE "customers" SET "is_deleted" = $1 WHERE "customer_no" IN ($2)',
      params: [true, 'C1'],
    });
  });
});

describe('postgres dialect: names', () => {
  it('quotes any name, doubling a double quote, keeping case, spaces and non-ASCII letters', () => {
    expect(d.quote('Straße Nr')).toBe('"Straße Nr"');
    expect(d.quote('a"b')).toBe('"a""b"');
    expect(d.quote('CamelCase')).toBe('"CamelCase"');
    expect(quoteTable('Vertrieb.Kunden Stamm')).toBe('"Vertrieb"."Kunden Stamm"');
    // An injection attempt is one (odd) name, never SQL.
    expect(d.quote('x"; DROP TABLE t; --')).toBe('"x""; DROP TABLE t; --"');
  });

  it('refuses empty names, NUL, names over 63 bytes (PostgreSQL would truncate them) and tables with two dots', () => {
    expect(() => d.quote('')).toThrow(/empty/);
    expect(() => d.quote('a\0b')).toThrow(/NUL/);
    expect(() => d.quote('é'.repeat(32))).toThrow(/longer than 63 bytes/);
    expect(d.quote('a'.repeat(63))).toBe(`"${'a'.repeat(63)}"`);
    expect(() => quoteTable('a.b.c')).toThrow(/at most one dot/);
    expect(() => d.checkIdentifier!('a.b', 'table')).not.toThrow();
    // A column may hold a dot: it is one quoted name.
    expect(d.quote('a.b')).toBe('"a.b"');
  });

  it('looks column types and unique indexes up through regclass, the quoted table name bound as a parameter', () => {
    const q = columnsQuery('Vertrieb.Kunden Stamm');
    expect(q.params).toEqual(['"Vertrieb"."Kunden Stamm"']);
    expect(q.sql).toContain('a.attrelid = $1::regclass');
    expect(uniqueKeysQuery('customers')).toMatchObject({ params: ['"customers"'] });
    expect(uniqueKeysQuery('customers').sql).toContain('i.indisunique AND i.indisvalid AND i.indimmediate AND i.indpred IS NULL');
  });
});

describe('postgres dialect: limits and the overlap', () => {
  it('keeps every statement within 65,535 parameters and 1,000 rows', () => {
    expect(rowsPerStatement(d, 3)).toBe(1000);
    expect(rowsPerStatement(d, 80)).toBe(819);
    const rows = rowsPerStatement(d, 80);
    const q = d.upsert({ table: 't', key: ['c0'], columns: Array.from({ length: 80 }, (_, i) => `c${i}`), rows: Array.from({ length: rows }, () => Array.from({ length: 80 }, () => 1)) });
    expect(q.params.length).toBeLessThanOrEqual(65_535);
    expect(q.sql).toContain(`$${rows * 80})`);
  });

  it('moves a watermark back in its own form: UTC instants on the time line, wall-clock times on the wall clock', () => {
    const berlin = createPostgresDialect({ timeZone: 'Europe/Berlin' });
    expect(berlin.moveBack!('2026-01-02T03:04:05.678901Z', 60_000)).toBe('2026-01-02T03:03:05.678901Z');
    expect(berlin.moveBack!('2026-01-02T10:00:00.000001+01:00', 1)).toBe('2026-01-02T09:59:59.999001+01:00');
    // Across the spring-forward change the wall clock moves back 1 h, and the offset is the one then in force.
    expect(berlin.moveBack!('2026-03-29T03:30:00.000000+02:00', 3_600_000)).toBe('2026-03-29T02:30:00.000000+01:00');
    // int8 read as text, plain numbers and Dates as the shared core does.
    expect(berlin.moveBack!('9007199254740993', 5)).toBe('9007199254740988');
    expect(berlin.moveBack!(100, 5)).toBe(95);
    expect(() => berlin.moveBack!('not a time', 5)).toThrow(/date\/time or numeric watermark/);
  });
});

const dbError = (code: string, message: string, fields: Partial<Record<'detail' | 'column' | 'table' | 'constraint' | 'severity', string>> = {}) =>
  new SqlDriverError(undefined, code, Object.assign(new pg.DatabaseError(message, message.length, 'error'), { code, severity: 'ERROR', ...fields }));

describe('postgres error classification (SQLSTATE, Appendix A)', () => {
  it.each([
    ['40001', 'could not serialize access due to concurrent update', 'retryable'],
    ['40P01', 'deadlock detected', 'retryable'],
    ['55P03', 'canceling statement due to lock timeout', 'retryable'],
    ['57014', 'canceling statement due to statement timeout', 'retryable'],
    ['57P01', 'terminating connection due to administrator command', 'retryable'],
    ['57P02', 'terminating connection because of crash of another server process', 'retryable'],
    ['57P03', 'the database system is starting up', 'retryable'],
    ['53300', 'sorry, too many clients already', 'retryable'],
    ['08006', 'connection failure', 'retryable'],
    ['08P01', 'invalid message format', 'permanent'],
    ['23505', 'duplicate key value violates unique constraint "customers_email_key"', 'permanent'],
    ['23502', 'null value in column "name" of relation "customers" violates not-null constraint', 'permanent'],
    ['23503', 'insert or update on table "orders" violates foreign key constraint "orders_customer_fkey"', 'permanent'],
    ['23514', 'new row for relation "customers" violates check constraint "credit_positive"', 'permanent'],
    ['22P02', 'invalid input syntax for type integer: "abc"', 'permanent'],
    ['42P01', 'relation "sales.customers" does not exist', 'permanent'],
    ['42703', 'column "colour" of relation "customers" does not exist', 'permanent'],
    ['42501', 'permission denied for table customers', 'permanent'],
    ['28P01', 'password authentication failed for user "app"', 'permanent'],
    ['28000', 'role "nobody" does not exist', 'permanent'],
    ['3D000', 'database "erp" does not exist', 'permanent'],
  ] as const)('%s is %s', (code, message, kind) => {
    const c = classifyPostgresError(dbError(code, message));
    expect(c.kind).toBe(kind);
    expect(c.code).toBe(`postgres_${code}`);
  });

  it('passes the server message on where it names only schema objects, never the detail', () => {
    const c = classifyPostgresError(dbError('23505', 'duplicate key value violates unique constraint "customers_email_key"', { detail: 'Key (email)=(ann@example.com) already exists.', table: 'customers' }));
    expect(c.message).toBe('PostgreSQL error 23505 (unique_violation): duplicate key value violates unique constraint "customers_email_key"');
    const n = classifyPostgresError(dbError('23502', 'null value in column "name" of relation "customers" violates not-null constraint', { detail: 'Failing row contains (7, K7, null).', column: 'name' }));
    expect(n.message).toBe('PostgreSQL error 23502 (not_null_violation): null value in column "name" of relation "customers" violates not-null constraint');
  });

  it('names the condition and the column field instead of a message that quotes a value', () => {
    const c = classifyPostgresError(dbError('22P02', 'invalid input syntax for type integer: "secret-ish"'));
    expect(c.message).toBe('PostgreSQL error 22P02 (invalid_text_representation): invalid text representation');
    const o = classifyPostgresError(dbError('22003', 'value "99999999999" is out of range for type integer'));
    expect(o.message).toBe('PostgreSQL error 22003 (numeric_value_out_of_range): numeric value out of range');
    // A localized message does not match the English template: the column field names the column.
    const de = classifyPostgresError(dbError('23502', 'NULL-Wert in Spalte »name« verletzt Not-Null-Constraint', { column: 'name', table: 'kunden', detail: 'Fehlgeschlagene Zeile enthält (Geheim).' }));
    expect(de.message).toBe('PostgreSQL error 23502 (not_null_violation): not null violation (column "name" of relation "kunden")');
    for (const m of [c.message, o.message, de.message]) expect(m).not.toMatch(/secret|99999999999|Geheim/);
  });

  it('never names the user, host or database of the URL for authentication and catalog errors', () => {
    for (const [code, message] of [['28P01', 'password authentication failed for user "app_user"'], ['28000', 'no pg_hba.conf entry for host "10.1.2.3", user "app_user", database "erp", SSL off'], ['3D000', 'database "erp_prod" does not exist']] as const) {
      expect(classifyPostgresError(dbError(code, message)).message).not.toMatch(/app_user|10\.1\.2\.3|erp/);
    }
  });

  it('classifies network codes and node-postgres\'s own failures', () => {
    const net = (code: string) => classifyPostgresError(new SqlDriverError(undefined, code, Object.assign(new Error(`connect ${code} 10.0.0.5:5432`), { code })));
    expect(net('ECONNREFUSED')).toEqual({ kind: 'retryable', code: 'postgres_econnrefused', message: 'PostgreSQL connection failed: ECONNREFUSED' });
    expect(net('ECONNRESET').kind).toBe('retryable');
    expect(net('ETIMEDOUT').kind).toBe('retryable');
    // A 5-letter Node code is not a SQLSTATE: only a server error carries a severity.
    expect(net('EPIPE')).toMatchObject({ kind: 'retryable', code: 'postgres_epipe' });
    expect(net('ENOTFOUND').kind).toBe('permanent');
    expect(net('DEPTH_ZERO_SELF_SIGNED_CERT')).toMatchObject({ kind: 'permanent', message: 'PostgreSQL TLS failed: DEPTH_ZERO_SELF_SIGNED_CERT' });
    const own = (message: string) => classifyPostgresError(new SqlDriverError(undefined, undefined, new Error(message)));
    expect(own('Connection terminated unexpectedly')).toMatchObject({ kind: 'retryable', code: 'postgres_connection_lost' });
    expect(own('timeout exceeded when trying to connect')).toMatchObject({ kind: 'retryable', code: 'postgres_connect_timeout' });
    expect(own('Connection terminated due to connection timeout')).toMatchObject({ kind: 'retryable', code: 'postgres_connect_timeout' });
    expect(own('The server does not support SSL connections')).toMatchObject({ kind: 'permanent', code: 'postgres_ssl_unsupported' });
    expect(own('something else entirely')).toEqual({ kind: 'permanent', code: 'postgres_client_error', message: 'PostgreSQL client error' });
  });
});
