import { describe, expect, it } from 'vitest';
import { TypedParam } from '../../connectors/sql/dialect.js';
import { SqlDriverError } from '../../connectors/sql/driver.js';
import { mssqlDialect } from '../../connectors/mssql/mssql-dialect.js';
import { createSqlConnector, type SqlTableConfig } from '../../connectors/sql/sql-connector.js';
import { decodeCursor, encodeCursor } from '../../connectors/sql/cursor.js';
import type { Connector, ExternalRecord } from '../../connectors/contract.js';
import { mapped } from '../fixtures/mapped.js';
import { fakeDriver, type FakeColumn } from './sql-fakes.js';
import { readPages } from '../fixtures/read-pages.js';

/**
 * Keyset reads and writes of the SQL Server connector over a small semantic fake of the server: it
 * evaluates the keyset predicate the dialect sends (its parameters, in their order) over its rows the
 * way SQL Server compares the column (rowversion: binary; DATETIME2: the exact value, which the fake
 * holds as text), honours `< MIN_ACTIVE_ROWVERSION()`, and answers `__hub_watermark` as CONVERT(…, 121) would.
 */

interface Row {
  id: number;
  no: string;
  /** The watermark as SQL Server holds it: a rowversion Buffer, or DATETIME2 text. */
  wm: Buffer | string;
  committed: boolean;
}

const unwrap = (v: unknown) => (v instanceof TypedParam ? v.value : v);
const pad7 = (t: string) => t.replace(/^(.{19})(?:\.(\d+))?$/, (_, a: string, f: string | undefined) => `${a}.${(f ?? '').padEnd(7, '0')}`);
function cmp(a: unknown, b: unknown): number {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  if (typeof a === 'string' && typeof b === 'string') return pad7(a) < pad7(b) ? -1 : pad7(a) > pad7(b) ? 1 : 0;
  return Number(a) - Number(b);
}

function fakeServer(columns: Record<string, FakeColumn>, watermark: string) {
  const rows: Row[] = [];
  let minActive: Buffer | null = null;
  const f = fakeDriver({
    columns,
    answer(sql, params) {
      if (!sql.startsWith('SELECT [id]')) return null;
      const ps = params.map(unwrap);
      const limit = Number(ps.at(-1));
      const keyset = ps.slice(0, -1);
      let visible = rows.filter((r) => r.committed);
      if (sql.includes(`[${watermark}] < MIN_ACTIVE_ROWVERSION()`)) visible = visible.filter((r) => minActive === null || Buffer.compare(r.wm as Buffer, minActive) < 0);
      if (keyset.length === 4) visible = visible.filter((r) => cmp(r.wm, keyset[0]) > 0 || (cmp(r.wm, keyset[0]) === 0 && r.id > Number(keyset[3])));
      if (keyset.length === 1) visible = visible.filter((r) => cmp(r.wm, keyset[0]) >= 0);
      visible.sort((a, b) => cmp(a.wm, b.wm) || a.id - b.id);
      return visible.slice(0, limit).map((r) => ({
        id: r.id,
        no: r.no,
        // tedious answers DATETIME2 as a Date cut to the millisecond; the exact text comes beside it.
        [watermark]: typeof r.wm === 'string' ? new Date(`${r.wm.slice(0, 23).replace(' ', 'T')}Z`) : r.wm,
        ...(sql.includes('[__hub_watermark]') ? { __hub_watermark: r.wm } : {}),
      }));
    },
  });
  return {
    ...f,
    rows,
    insert: (no: string, wm: Buffer | string, committed = true) => rows.push({ id: rows.length + 1, no, wm, committed }),
    setMinActive: (v: Buffer | null) => (minActive = v),
  };
}

const readAll = (c: Connector, entity: string, cursor: string | null, limit: number) => readPages(c, entity, cursor, limit, 50);

const rv = (n: number) => Buffer.from(n.toString(16).padStart(16, '0'), 'hex');

describe('rowversion watermarks', () => {
  const columns = { id: { type: 'int', pk: true }, no: { type: 'nvarchar', length: 10 }, rv: { type: 'timestamp' } };
  const table: SqlTableConfig = { table: 'dbo.Customers', key: ['no'], watermark: 'rv', tieBreaker: 'id', columns: [] };

  it('pages by binary position, keeps it in the cursor as hex, and never skips a row whose transaction commits late with a lower version', async () => {
    const s = fakeServer(columns, 'rv');
    // overlapMs is ignored: a rowversion read is bounded, nothing commits late below the bound.
    const c = createSqlConnector({ name: 'erp', driver: s.driver, dialect: mssqlDialect, tables: { Customer: table }, overlapMs: 60_000 });
    s.insert('A', rv(0x7e1));
    s.insert('B', rv(0x7e2));
    s.insert('LATE', rv(0x7e3), false); // an open transaction holds version 0x7e3
    s.insert('C', rv(0x7e4));
    s.setMinActive(rv(0x7e3));
    const first = await readAll(c, 'Customer', null, 1);
    expect(first.records.map((r) => r['no'])).toEqual(['A', 'B']);
    expect(decodeCursor(first.cursor!)).toEqual({ watermark: rv(0x7e2), tieBreaker: 2 });
    s.rows[2]!.committed = true;
    s.setMinActive(rv(0x7e5));
    const second = await readAll(c, 'Customer', first.cursor, 1);
    expect(second.records.map((r) => r['no'])).toEqual(['LATE', 'C']);
    // Every read carried the bound; no statement went back by the overlap.
    expect(s.statements.every((st) => st.sql.includes('[rv] < MIN_ACTIVE_ROWVERSION()'))).toBe(true);
    expect(s.statements.filter((st) => /\[rv\] >= @p1 ORDER BY/.test(st.sql))).toEqual([]);
  });

  it('a read from a point in time reads a rowversion table from the start (a superset: versions are not times)', async () => {
    const s = fakeServer(columns, 'rv');
    const c = createSqlConnector({ name: 'erp', driver: s.driver, dialect: mssqlDialect, tables: { Customer: table } });
    s.insert('A', rv(1));
    const page = await c.read('Customer', c.cursorSince!('Customer', '2026-01-01T00:00:00Z'), 10);
    expect(page.records.map((r) => r['no'])).toEqual(['A']);
    expect(s.statements[0]?.params).toEqual([10]);
  });
});

describe('DATETIME2(7) and DATETIME watermarks at their own precision', () => {
  const columns = { id: { type: 'int', pk: true }, no: { type: 'nvarchar', length: 10 }, changed: { type: 'datetime2', precision: 7 } };
  const table: SqlTableConfig = { table: 'Customers', key: ['no'], watermark: 'changed', tieBreaker: 'id', columns: [] };

  it('with more rows on one 100 ns timestamp than a page, every row comes once and the reader moves on', async () => {
    const s = fakeServer(columns, 'changed');
    const c = createSqlConnector({ name: 'erp', driver: s.driver, dialect: mssqlDialect, tables: { Customer: table } });
    s.insert('EARLY', '2026-01-02 03:04:05.1234560');
    for (let i = 0; i < 10; i++) s.insert(`SAME${i}`, '2026-01-02 03:04:05.1234567');
    s.insert('NEXT', '2026-01-02 03:04:05.1234568');
    const { records, cursor } = await readAll(c, 'Customer', null, 3);
    expect(records.map((r) => r['no'])).toEqual(['EARLY', ...Array.from({ length: 10 }, (_, i) => `SAME${i}`), 'NEXT']);
    // The cursor keeps the 7 digits; the records keep the column as the driver answers it, without the text.
    expect(decodeCursor(cursor!)).toMatchObject({ watermark: '2026-01-02 03:04:05.1234568', tieBreaker: 12 });
    expect(records.every((r) => !('__hub_watermark' in r) && r['changed'] instanceof Date)).toBe(true);
    expect(s.statements[1]?.params[0]).toEqual(new TypedParam('2026-01-02 03:04:05.1234567', { dataType: 'varchar', length: 34 }));
  });

  it('an overlap goes back on the column’s own clock reading, keeping its digits', async () => {
    const s = fakeServer(columns, 'changed');
    const c = createSqlConnector({ name: 'erp', driver: s.driver, dialect: mssqlDialect, tables: { Customer: table }, overlapMs: 60_000 });
    await c.read('Customer', encodeCursor({ watermark: '2026-01-02 03:04:05.1234567', tieBreaker: 4, caughtUp: true }), 10);
    expect(s.statements[0]?.sql).toContain('WHERE [changed] >= CONVERT(datetime2(7), @p1, 121) ORDER BY');
    expect(s.statements[0]?.params[0]).toEqual(new TypedParam('2026-01-02 03:03:05.1234567', { dataType: 'varchar', length: 34 }));
  });

  it('local time in a zone (timeZone): a point in time is the zone’s wall clock, 2 h early for daylight saving; the overlap never shortens', async () => {
    const s = fakeServer({ ...columns, changed: { type: 'datetime', precision: 3 } }, 'changed');
    const c = createSqlConnector({ name: 'erp', driver: s.driver, dialect: mssqlDialect, tables: { Customer: { ...table, timeZone: 'Europe/Berlin' } }, overlapMs: 30 * 60_000 });
    await c.read('Customer', c.cursorSince!('Customer', '2026-03-01T10:00:00.000Z'), 10);
    // 10:00Z is 11:00 in Berlin (CET), less 2 h.
    expect(s.statements[0]?.params[0]).toEqual(new TypedParam('2026-03-01 09:00:00.000', { dataType: 'varchar', length: 34 }));
    expect(s.statements[0]?.sql).toContain('>= CONVERT(datetime, @p1, 121)');
    // Clocks jump from 02:00 to 03:00 on 2026-03-29 in Berlin: 30 min of real time before 03:10 began at 01:40,
    // not at 02:40 (a reading that never happened), so the overlap starts at 01:40.
    await c.read('Customer', encodeCursor({ watermark: '2026-03-29 03:10:00.000', tieBreaker: 1, caughtUp: true }), 10);
    expect(s.statements[1]?.params[0]).toEqual(new TypedParam('2026-03-29 01:40:00.000', { dataType: 'varchar', length: 34 }));
    // Away from a change the two readings agree.
    await c.read('Customer', encodeCursor({ watermark: '2026-10-25 12:10:00.000', tieBreaker: 1, caughtUp: true }), 10);
    expect(s.statements[2]?.params[0]).toEqual(new TypedParam('2026-10-25 11:40:00.000', { dataType: 'varchar', length: 34 }));
  });
});

describe('tables in another schema, money, collations', () => {
  it('reads DECIMAL and MONEY of sales.Ledger as exact text (the description is by OBJECT_ID, not SCHEMA_NAME())', async () => {
    const f = fakeDriver({
      columns: { ID: { type: 'numeric', pk: true }, account_no: { type: 'nvarchar', length: 20 }, balance: { type: 'decimal' }, credit_limit: { type: 'smallmoney' }, modified_at: { type: 'datetime2', precision: 3 } },
      answer: () => [{ id: 1, account_no: 'A-1', balance: '123456789012345.6789', credit_limit: '5000.0000', modified_at: new Date('2026-01-01T00:00:00Z'), __hub_watermark: '2026-01-01 00:00:00.000' }],
    });
    const c = createSqlConnector({ name: 't', driver: f.driver, dialect: mssqlDialect, tables: { Account: { table: 'sales.Ledger', key: ['account_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['balance', 'credit_limit'] } } });
    const page = await c.read('Account', null, 10);
    await c.read('Account', page.cursor, 10);
    expect(f.describes).toEqual([expect.objectContaining({ params: ['[sales].[Ledger]'] })]);
    for (const { sql } of f.statements) {
      expect(sql).toMatch(/^SELECT \[id\], \[account_no\], CONVERT\(varchar\(64\), \[balance\]\) AS \[balance\], CONVERT\(varchar\(64\), \[credit_limit\], 2\) AS \[credit_limit\], \[modified_at\]/);
      expect(sql).toContain(' FROM [sales].[Ledger]');
    }
    expect(page.records[0]).toEqual({ id: 1, account_no: 'A-1', balance: '123456789012345.6789', credit_limit: '5000.0000', modified_at: new Date('2026-01-01T00:00:00Z') });
  });

  it('a failed description fails the read (retryable) and is tried again; a table it cannot find is a clear permanent error', async () => {
    let lookups = 0;
    const f = fakeDriver({ columns: { id: { type: 'int' } } });
    const base = f.driver.acquire;
    f.driver.acquire = async () => {
      const conn = await base();
      return {
        ...conn,
        async query(sql, params) {
          if (sql.includes('INFORMATION_SCHEMA') && ++lookups === 1) throw new SqlDriverError(1222, undefined, new Error('lock request timeout'));
          return conn.query(sql, params);
        },
      };
    };
    const c = createSqlConnector({ name: 't', driver: f.driver, dialect: mssqlDialect, tables: { Account: { table: 'ledger', key: ['id'], watermark: 'id', tieBreaker: 'id', columns: [] } } });
    await expect(c.read('Account', null, 10)).rejects.toMatchObject({ kind: 'retryable', code: 'connector_mssql_1222' });
    await expect(c.read('Account', null, 10)).resolves.toEqual({ records: [], cursor: null });
    expect(lookups).toBe(2);
    const missing = createSqlConnector({ name: 't', driver: fakeDriver({}).driver, dialect: mssqlDialect, tables: { Account: { table: 'sales.Nope', key: ['id'], watermark: 'id', tieBreaker: 'id', columns: [] } } });
    await expect(missing.read('Account', null, 10)).rejects.toMatchObject({ kind: 'permanent', code: 'connector_table_not_found', message: 't: Account: table sales.Nope was not found (or the login cannot see it)' });
  });

  it.each([
    ['SQL_Latin1_General_CP1_CI_AS', ['abc', 'ABC'], 2],
    ['Latin1_General_100_CI_AI', ['Müller', 'MULLER'], 2],
    ['Latin1_General_CS_AS', ['abc', 'ABC'], 1],
    ['Latin1_General_BIN2', ['abc', 'abc  '], 2],
    ['Japanese_XJIS_140_CI_AS', ['ｶﾀｶﾅ', 'カタカナ'], 2],
  ])('under %s the keys %j are %i statement(s): records one key under the collation never share a MERGE (error 8672), the later wins', async (collation, keys, statements) => {
    const f = fakeDriver({ columns: { id: { type: 'int' }, code: { type: 'varchar', length: 20, collation }, name: { type: 'nvarchar', length: 20 }, m: { type: 'datetime2' } } });
    const c = createSqlConnector({ name: 't', driver: f.driver, dialect: mssqlDialect, tables: { C: { table: 'c', key: ['code'], watermark: 'm', tieBreaker: 'id', columns: ['name'] } } });
    const out = await c.upsert('C', keys.map((k, i) => ({ hubId: `${i}`, payload: mapped({ code: k, name: `n${i}` }) })));
    expect(out).toEqual(keys.map((k) => ({ ok: true, externalId: k })));
    expect(f.statements).toHaveLength(statements);
    // In request order: the last statement carries the later record.
    expect(f.statements.at(-1)?.params.at(-1)).toEqual(new TypedParam(`n${keys.length - 1}`, { dataType: 'nvarchar', length: 20 }));
  });
});
