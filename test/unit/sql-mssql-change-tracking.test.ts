import { describe, expect, it } from 'vitest';
import { TypedParam } from '../../connectors/sql/dialect.js';
import { mssqlDialect } from '../../connectors/mssql/mssql-dialect.js';
import { createSqlConnector } from '../../connectors/sql/sql-connector.js';
import { decodeFeedCursor } from '../../connectors/sql/change-feed.js';
import type { Connector, ExternalRecord } from '../../connectors/contract.js';
import { fakeDriver, type FakeColumn } from './sql-fakes.js';
import { readPages } from '../fixtures/read-pages.js';

/**
 * SQL Server Change Tracking through a semantic fake of the server. It follows Microsoft's "Work with
 * change tracking" and "CHANGETABLE": CHANGETABLE(CHANGES t, @v) answers one row per primary key
 * changed after @v, with SYS_CHANGE_VERSION = the version of its last change and SYS_CHANGE_OPERATION
 * (I if it was inserted after @v, D if its last change deleted it, else U); CHANGE_TRACKING_CURRENT_VERSION()
 * is the last committed version; CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID(t)) is NULL where change
 * tracking is off, and rises when the cleanup removes old changes.
 */

type Op = 'I' | 'U' | 'D';
const unwrap = (v: unknown) => (v instanceof TypedParam ? v.value : v);

function ctServer(columns: Record<string, FakeColumn> = { Id: { type: 'int', pk: true }, Name: { type: 'nvarchar', length: 20 } }) {
  const table = new Map<number, { Id: number; Name: string }>();
  const changes: { version: bigint; id: number; op: Op }[] = [];
  const state = { current: 0n, minValid: 0n, enabled: true, raiseMinValidAfterChanges: null as bigint | null };
  const f = fakeDriver({
    columns,
    answer(sql, params) {
      const ps = params.map(unwrap);
      if (sql.startsWith('SELECT COUNT(*)')) return [{ n: table.size }];
      if (sql.includes('CHANGE_TRACKING_CURRENT_VERSION()')) {
        return [{ current_version: String(state.current), min_valid_version: state.enabled ? String(state.minValid) : null }];
      }
      if (sql.includes('CHANGETABLE(CHANGES')) {
        const since = ps[0] as bigint;
        const upto = ps[1] as bigint;
        const after = ps.length > 3 ? { version: ps[2] as bigint, id: Number(ps[4]) } : null;
        const limit = Number(ps.at(-1));
        const net = new Map<number, { version: bigint; id: number; op: Op }>();
        for (const c of changes.filter((c) => c.version > since)) {
          const prev = net.get(c.id);
          net.set(c.id, { version: c.version, id: c.id, op: c.op === 'D' ? 'D' : prev?.op === 'I' || c.op === 'I' ? 'I' : 'U' });
        }
        const rows = [...net.values()]
          .filter((c) => c.version <= upto && (!after || c.version > after.version || (c.version === after.version && c.id > after.id)))
          .sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : a.id - b.id))
          .slice(0, limit)
          .map((c) => {
            const row = table.get(c.id);
            return { __hub_change_version: String(c.version), SYS_CHANGE_OPERATION: row ? c.op : 'D', Id: c.id, Name: row?.Name ?? null };
          });
        if (state.raiseMinValidAfterChanges !== null) state.minValid = state.raiseMinValidAfterChanges;
        return rows;
      }
      if (sql.includes(' AS T ')) {
        const after = ps.length > 1 ? Number(ps[0]) : null;
        const limit = Number(ps.at(-1));
        return [...table.values()].filter((r) => after === null || r.Id > after).sort((a, b) => a.Id - b.Id).slice(0, limit);
      }
      return null;
    },
  });
  const change = (id: number, op: Op, name?: string) => {
    state.current += 1n;
    if (op === 'D') table.delete(id);
    else table.set(id, { Id: id, Name: name ?? `n${id}` });
    changes.push({ version: state.current, id, op });
  };
  return { ...f, table, changes, state, change };
}

const tables = { Customer: { table: 'sales.Customers', key: ['Id'], columns: ['Name'], changeTracking: true as const } };
const ids = (rs: readonly ExternalRecord[]) => rs.map((r) => `${String(r['Id'])}${r['SYS_CHANGE_OPERATION'] ? `:${String(r['SYS_CHANGE_OPERATION'])}` : ''}`);

const readAll = (c: Connector, cursor: string | null, limit: number) => readPages(c, 'Customer', cursor, limit, 50);

describe('SQL Server Change Tracking', () => {
  it('loads the table by primary key, then reads changes since the version taken before the load, deletes included', async () => {
    const s = ctServer();
    for (let i = 1; i <= 5; i++) s.change(i, 'I');
    const c = createSqlConnector({ name: 'erp', driver: s.driver, dialect: mssqlDialect, tables });
    expect(c.describe().entities['Customer']).toMatchObject({ detectChanges: true, detectDeletes: true });
    const load = await readAll(c, null, 2);
    expect(ids(load.records)).toEqual(['1', '2', '3', '4', '5']);
    expect(decodeFeedCursor(load.cursor)).toEqual({ phase: 'changes', since: 5n, upto: null, after: null });
    s.change(2, 'U', 'renamed');
    s.change(4, 'D');
    s.change(6, 'I');
    const changed = await readAll(c, load.cursor, 2);
    expect(ids(changed.records)).toEqual(['2:U', '4:D', '6:I']);
    expect(changed.records[0]).toEqual({ SYS_CHANGE_OPERATION: 'U', Id: 2, Name: 'renamed' });
    expect(changed.records.map((r) => c.isDeleted!('Customer', r))).toEqual([false, true, false]);
    expect(changed.records.map((r) => c.keyOf('Customer', r))).toEqual(['2', '4', '6']);
    expect(decodeFeedCursor(changed.cursor)).toEqual({ phase: 'changes', since: 8n, upto: null, after: null });
    expect(await c.read('Customer', changed.cursor, 2)).toEqual({ records: [], cursor: null });
  });

  it('a pass keeps the version it began with, so rows changed meanwhile come in the next pass', async () => {
    const s = ctServer();
    s.change(1, 'I');
    const c = createSqlConnector({ name: 'erp', driver: s.driver, dialect: mssqlDialect, tables });
    const load = await readAll(c, null, 10);
    s.change(2, 'I');
    s.change(3, 'I');
    const first = await c.read('Customer', load.cursor, 1);
    expect(ids(first.records)).toEqual(['2:I']);
    expect(decodeFeedCursor(first.cursor)).toEqual({ phase: 'changes', since: 1n, upto: 3n, after: { version: 2n, key: [2] } });
    s.change(2, 'U', 'again');
    const second = await c.read('Customer', first.cursor, 1);
    // 2 changed again (version 4, above the pass's 3): not now; 3 is.
    expect(ids(second.records)).toEqual(['3:I']);
    // The pass ended on a full page: the next read finds nothing in it and starts the next pass at once.
    const third = await c.read('Customer', second.cursor, 1);
    // Inserted at version 2, before this pass's base (3): an update now.
    expect(ids(third.records)).toEqual(['2:U']);
    expect(third.records[0]?.['Name']).toBe('again');
  });

  it('a load that ends on a full page goes on to the changes', async () => {
    const s = ctServer();
    s.change(1, 'I');
    s.change(2, 'I');
    const c = createSqlConnector({ name: 'erp', driver: s.driver, dialect: mssqlDialect, tables });
    const page = await c.read('Customer', null, 2);
    expect(decodeFeedCursor(page.cursor)).toEqual({ phase: 'load', since: 2n, after: [2] });
    s.change(1, 'D');
    expect(ids((await c.read('Customer', page.cursor, 2)).records)).toEqual(['1:D']);
  });

  it('a cursor older than CHANGE_TRACKING_MIN_VALID_VERSION starts a full re-read', async () => {
    const s = ctServer();
    for (let i = 1; i <= 3; i++) s.change(i, 'I');
    const c = createSqlConnector({ name: 'erp', driver: s.driver, dialect: mssqlDialect, tables });
    const load = await readAll(c, null, 10);
    s.change(3, 'D');
    s.state.minValid = 4n; // the cleanup removed changes up to 4; the cursor is at 3
    const again = await c.read('Customer', load.cursor, 10);
    expect(ids(again.records)).toEqual(['1', '2']);
    expect(s.statements.at(-1)?.sql).toMatch(/^SELECT T\.\[Id\] AS \[Id\], T\.\[Name\] AS \[Name\] FROM \[sales\]\.\[Customers\] AS T ORDER BY/);
    expect(decodeFeedCursor(again.cursor)).toEqual({ phase: 'changes', since: 4n, upto: null, after: null });
  });

  it('the cleanup running between the check and the read is caught by the check after it (the page is discarded)', async () => {
    const s = ctServer();
    s.change(1, 'I');
    const c = createSqlConnector({ name: 'erp', driver: s.driver, dialect: mssqlDialect, tables });
    const load = await readAll(c, null, 10);
    s.change(2, 'I');
    s.state.raiseMinValidAfterChanges = 2n;
    const page = await c.read('Customer', load.cursor, 10);
    expect(ids(page.records)).toEqual(['1', '2']);
    expect(s.statements.map((st) => (st.sql.includes('CHANGETABLE') ? 'changes' : st.sql.includes('CURRENT_VERSION') ? 'versions' : 'load'))).toEqual([
      'versions',
      'load',
      'versions',
      'changes',
      'versions',
      'load',
    ]);
  });

  it('refuses clearly: change tracking off, a key that is not the primary key, a table without one', async () => {
    const off = ctServer();
    off.state.enabled = false;
    const c = createSqlConnector({ name: 'erp', driver: off.driver, dialect: mssqlDialect, tables });
    await expect(c.read('Customer', null, 10)).rejects.toMatchObject({
      kind: 'permanent',
      code: 'connector_change_tracking_disabled',
      message: 'erp: Customer: change tracking is not enabled for sales.Customers (or the login lacks VIEW CHANGE TRACKING on it)',
    });
    const natural = ctServer({ Id: { type: 'int', pk: true }, Code: { type: 'varchar', length: 10 }, Name: { type: 'nvarchar' } });
    const byCode = createSqlConnector({ name: 'erp', driver: natural.driver, dialect: mssqlDialect, tables: { Customer: { ...tables.Customer, key: ['Code'] } } });
    await expect(byCode.read('Customer', null, 10)).rejects.toMatchObject({
      code: 'connector_invalid_config',
      message: 'erp: Customer: changeTracking needs the key to be primary key columns (a deleted row carries only its primary key): Code is not',
    });
    const heap = ctServer({ Id: { type: 'int' }, Name: { type: 'nvarchar' } });
    const noPk = createSqlConnector({ name: 'erp', driver: heap.driver, dialect: mssqlDialect, tables });
    await expect(noPk.read('Customer', null, 10)).rejects.toMatchObject({ message: 'erp: Customer: changeTracking needs a primary key on sales.Customers' });
  });

  it('a read from a point in time is a full read (Change Tracking keeps no times); count follows the phase', async () => {
    const s = ctServer();
    for (let i = 1; i <= 3; i++) s.change(i, 'I');
    const c = createSqlConnector({ name: 'erp', driver: s.driver, dialect: mssqlDialect, tables });
    expect(decodeFeedCursor(c.cursorSince!('Customer', '2026-01-01T00:00:00Z'))).toEqual({ phase: 'load', since: null, after: null });
    s.statements.length = 0;
    await c.count!('Customer', null);
    expect(s.statements.at(-1)?.sql).toBe('SELECT COUNT(*) AS [n] FROM [sales].[Customers] AS T');
    await c.count!('Customer', (await readAll(c, null, 10)).cursor);
    expect(s.statements.at(-1)).toEqual({ sql: 'SELECT COUNT(*) AS [n] FROM CHANGETABLE(CHANGES [sales].[Customers], @p1) AS CT', params: [new TypedParam(3n, { dataType: 'bigint' })] });
  });

  it('refuses a cursor of the other kind', async () => {
    const s = ctServer();
    const c = createSqlConnector({ name: 'erp', driver: s.driver, dialect: mssqlDialect, tables });
    const keyset = Buffer.from(JSON.stringify({ v: 1, w: 1, t: 1 })).toString('base64url');
    await expect(c.read('Customer', keyset, 10)).rejects.toMatchObject({ code: 'connector_invalid_cursor' });
    await expect(c.read('Customer', 'garbage', 10)).rejects.toMatchObject({ code: 'connector_invalid_cursor' });
  });
});
