import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { createConnector } from '../../connectors/config.js';
import { pgPoolConfig, postgresConnectorConfigSchema, type PostgresConnectorConfig } from '../../connectors/postgres/module.js';
import { dateParam, timestampFromPg, timestamptzFromPg, wallClockFor } from '../../connectors/postgres/postgres-time.js';
import { pgTypes, sessionOptions } from '../../connectors/postgres/postgres-driver.js';
import { configErrorOf } from '../fixtures/config-error.js';

/**
 * The PostgreSQL connector's configuration (URL, TLS, timeouts, session zone) and its conversions of
 * PostgreSQL's ISO date/time output (DateStyle ISO: `2026-01-31 10:15:00.123456+01`, docs 8.5.2).
 */

const PASSWORD = 'S3cret-pw';
const tables = { Customer: { table: 'sales.customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name'] } };
const parse = (extra: Record<string, unknown> = {}): PostgresConnectorConfig => postgresConnectorConfigSchema.parse({ type: 'postgres', urlEnv: 'PG_URL', tables, ...extra });
const invalid = (pointer: string, detail: string) => Object.assign(new Error(detail), { pointer });
const ctx = { invalid } as never;
const types = pgTypes(pg.types, 'UTC') as pg.CustomTypesConfig;

describe('postgres configuration', () => {
  it('builds the pool from the URL: host, port, user, password, database, session zone, timeouts; TLS off by default', () => {
    const c = pgPoolConfig(new URL(`postgres://app:${encodeURIComponent(PASSWORD)}@db.internal:6543/erp%20prod`), parse({ timeZone: 'Europe/Berlin', pool: { connections: 3 } }), ctx, types);
    expect(c).toMatchObject({
      host: 'db.internal',
      port: 6543,
      user: 'app',
      password: PASSWORD,
      database: 'erp prod',
      max: 3,
      connectionTimeoutMillis: 10_000,
      statement_timeout: 60_000,
      query_timeout: 65_000,
      keepAlive: true,
      options: '-c TimeZone=Europe/Berlin -c DateStyle=ISO',
      application_name: 'erp-crm-hub',
      ssl: false,
    });
    expect(c).not.toHaveProperty('lock_timeout');
    expect(pgPoolConfig(new URL('postgresql://u@[::1]/db'), parse({ statementTimeoutMs: 0, lockTimeoutMs: 500 }), ctx, types)).toMatchObject({ host: '::1', port: 5432, lock_timeout: 500 });
    expect(pgPoolConfig(new URL('postgresql://u@[::1]/db'), parse({ statementTimeoutMs: 0 }), ctx, types)).not.toHaveProperty('statement_timeout');
  });

  it("TLS: libpq's modes, from the configuration or the URL's sslmode, never both", () => {
    const url = (q = '') => new URL(`postgres://u:p@db/erp${q}`);
    expect(pgPoolConfig(url(), parse({ ssl: { mode: 'require' } }), ctx, types).ssl).toEqual({ rejectUnauthorized: false });
    expect(pgPoolConfig(url(), parse({ ssl: { mode: 'verify-full' } }), ctx, types).ssl).toEqual({ rejectUnauthorized: true });
    const verifyCa = pgPoolConfig(url('?sslmode=verify-ca'), parse(), ctx, types).ssl as { rejectUnauthorized: boolean; checkServerIdentity: () => unknown };
    expect(verifyCa.rejectUnauthorized).toBe(true);
    expect(verifyCa.checkServerIdentity()).toBeUndefined();
    expect(() => pgPoolConfig(url('?sslmode=require'), parse({ ssl: { mode: 'require' } }), ctx, types)).toThrow("set TLS either here or with the URL's sslmode, not both");
    expect(() => pgPoolConfig(url('?sslmode=prefer'), parse(), ctx, types)).toThrow("the URL's sslmode must be one of disable, require, verify-ca, verify-full");
    expect(() => pgPoolConfig(url(), parse({ ssl: { mode: 'verify-full', caFile: '/nonexistent/ca.pem' } }), ctx, types)).toThrow('the file cannot be read');
    expect(() => pgPoolConfig(url(), parse({ ssl: { mode: 'require', caFile: '/etc/hostname' } }), ctx, types)).toThrow('only used with mode verify-ca or verify-full');
    expect(() => pgPoolConfig(url('?options=-c%20search_path%3Dx'), parse(), ctx, types)).toThrow("the URL's query parameter options is not supported");
    expect(() => parse({ ssl: { mode: 'verify-full', caFile: 'certs/ca.pem' } })).toThrow(/must be an absolute path/);
  });

  it('createConnector: builds without connecting; a bad URL or name is a configuration error naming the field, never the value', async () => {
    const c = createConnector('erp_pg', { type: 'postgres', urlEnv: 'PG_URL', tables }, { PG_URL: `postgres://app:${PASSWORD}@127.0.0.1:1/erp` });
    expect(c.describe().entities['Customer']).toMatchObject({ read: true, write: true, naturalKeys: ['customer_no'], upsertKey: 'customer_no' });
    await c.close();
    const wrongKind = configErrorOf(() => createConnector('db', { type: 'postgres', urlEnv: 'PG_URL', tables }, { PG_URL: `mysql://app:${PASSWORD}@h/db` }));
    expect(wrongKind.errors).toEqual([{ pointer: '/connectors/db/urlEnv', detail: 'environment variable PG_URL does not hold a postgres:// or postgresql:// URL' }]);
    expect(JSON.stringify(wrongKind)).not.toContain(PASSWORD);
    const badTable = configErrorOf(() => createConnector('db', { type: 'postgres', urlEnv: 'PG_URL', tables: { C: { ...tables.Customer, table: 'a.b.c', key: [''] } } }, {}));
    expect(badTable.errors.map((e) => e.pointer)).toEqual(['/connectors/db/tables/C/table', '/connectors/db/tables/C/key/0']);
    const badZone = configErrorOf(() => createConnector('db', { type: 'postgres', urlEnv: 'PG_URL', timeZone: 'Mars/Olympus', tables }, {}));
    expect(badZone.errors[0]).toMatchObject({ pointer: '/connectors/db/timeZone' });
  });

  it('accepts names with upper case, spaces and non-ASCII letters, and schema.table', () => {
    expect(() => parse({ tables: { K: { table: 'Vertrieb.Kunden Stamm', key: ['Kunden-Nr'], watermark: 'geändert am', tieBreaker: 'ID', columns: ['Straße'] } } })).not.toThrow();
  });
});

describe('postgres date/time text at microsecond precision', () => {
  it('timestamptz → the instant in UTC, fixed width, whatever offset the session printed', () => {
    expect(timestamptzFromPg('2026-01-31 10:15:00.123456+01')).toBe('2026-01-31T09:15:00.123456Z');
    expect(timestamptzFromPg('2026-01-31 10:15:00+05:30')).toBe('2026-01-31T04:45:00.000000Z');
    expect(timestamptzFromPg('2026-01-31 10:15:00.5-03')).toBe('2026-01-31T13:15:00.500000Z');
    expect(timestamptzFromPg('1890-01-01 00:00:00+00:53:28')).toBe('1889-12-31T23:06:32.000000Z');
    // Outside what a fixed-width text can order: left as PostgreSQL wrote it.
    for (const raw of ['infinity', '-infinity', '0044-03-15 12:00:00+00 BC', '12026-01-01 00:00:00+00']) expect(timestamptzFromPg(raw)).toBe(raw);
  });

  it("timestamp → its wall-clock time with the zone's offset, as PostgreSQL resolves DST gaps and overlaps (docs B.2)", () => {
    expect(timestampFromPg('2026-01-31 10:15:00.123456', 'UTC')).toBe('2026-01-31T10:15:00.123456+00:00');
    expect(timestampFromPg('2026-07-01 10:15:00', 'Europe/Berlin')).toBe('2026-07-01T10:15:00.000000+02:00');
    // Fall-back overlap (02:30 happens twice): the offset after the change, as '2026-10-25 02:30'::timestamptz gives.
    expect(timestampFromPg('2026-10-25 02:30:00', 'Europe/Berlin')).toBe('2026-10-25T02:30:00.000000+01:00');
    // Spring-forward gap (02:30 never happens): the offset before the change.
    expect(timestampFromPg('2026-03-29 02:30:00', 'Europe/Berlin')).toBe('2026-03-29T02:30:00.000000+01:00');
    expect(timestampFromPg('2026-01-31 10:15:00', 'America/New_York')).toBe('2026-01-31T10:15:00.000000-05:00');
  });

  it('Dates bind as the wall-clock time in the zone with its offset; instants bound for a timestamp column as wall-clock text', () => {
    const at = new Date('2026-01-31T09:15:00.123Z');
    expect(dateParam(at, 'UTC')).toBe('2026-01-31 09:15:00.123000+00:00');
    expect(dateParam(at, 'Europe/Berlin')).toBe('2026-01-31 10:15:00.123000+01:00');
    expect(wallClockFor('2026-01-31T09:15:00.123456Z', 'Europe/Berlin')).toBe('2026-01-31 10:15:00.123456');
    expect(wallClockFor('2026-01-31T10:15:00+05:30', 'UTC')).toBe('2026-01-31 04:45:00.000000');
    expect(wallClockFor('2026-01-31 10:15:00', 'UTC')).toBeUndefined();
    expect(wallClockFor('not a date', 'UTC')).toBeUndefined();
  });

  it('the pool reads timestamps, dates, intervals and numeric arrays as text; numeric and int8 stay pg-types strings', () => {
    const t = pgTypes(pg.types, 'Europe/Berlin');
    const text = (oid: number, s: string) => (t.getTypeParser(oid, 'text') as (s: string) => unknown)(s);
    expect(text(1184, '2026-01-31 10:15:00.123456+01')).toBe('2026-01-31T09:15:00.123456Z');
    expect(text(1114, '2026-01-31 10:15:00.123456')).toBe('2026-01-31T10:15:00.123456+01:00');
    expect(text(1082, '2026-01-31')).toBe('2026-01-31');
    expect(text(1186, '1 day 02:00:00')).toBe('1 day 02:00:00');
    expect(text(1231, '{1.10,12345678901234567890.123456789}')).toEqual(['1.10', '12345678901234567890.123456789']);
    expect(text(1700, '12345678901234567890.123456789')).toBe('12345678901234567890.123456789');
    expect(text(20, '9007199254740993')).toBe('9007199254740993');
    expect(text(23, '42')).toBe(42);
    expect(sessionOptions('America/Argentina/Buenos_Aires')).toBe('-c TimeZone=America/Argentina/Buenos_Aires -c DateStyle=ISO');
  });
});
