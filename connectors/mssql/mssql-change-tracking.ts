import { ParamList, TypedParam, type Bind, type CompiledQuery, type ExactType } from '../sql/dialect.js';
import { CHANGE_OPERATION, CHANGE_VERSION, type ChangeFeedDialect, type ChangeFeedSpec } from '../sql/change-feed-sql.js';
import { quoteColumn, quoteTable } from './mssql-names.js';
import { bindByColumn } from './mssql-types.js';

/**
 * SQL Server Change Tracking statements (Microsoft, "Work with change tracking"):
 * `CHANGE_TRACKING_CURRENT_VERSION()` is the version of the last committed transaction;
 * `CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID(table))` the oldest version `CHANGETABLE(CHANGES …)`
 * still answers correctly from (NULL: change tracking is not enabled for the table);
 * `CHANGETABLE(CHANGES table, @last_sync_version)` one row per primary key changed after that version,
 * with `SYS_CHANGE_VERSION` (its last change) and `SYS_CHANGE_OPERATION` (I, U, D), outer-joined to the
 * table for the current values. A row that is gone from the table is reported as `D`.
 */

const placeholder = (i: number) => `@p${i}`;
const q = quoteColumn;
const version = (v: bigint) => new TypedParam(v, { dataType: 'bigint' });

function selectList(spec: ChangeFeedSpec, pkFrom: 'T' | 'CT'): string[] {
  const text = (c: string, type: ExactType) => (type === 'money' ? `CONVERT(varchar(64), T.${q(c)}, 2)` : `CONVERT(varchar(64), T.${q(c)})`);
  return [
    ...spec.primaryKey.map((c) => `${pkFrom}.${q(c)} AS ${q(c)}`),
    ...spec.columns.map((c) => {
      const type = spec.exact?.get(c);
      return `${type ? text(c, type) : `T.${q(c)}`} AS ${q(c)}`;
    }),
  ];
}

/** `(a > @1 OR (a = @2 AND b > @3))` over `exprs`, after `values`. */
function tupleAfter(exprs: readonly string[], columns: readonly string[], values: readonly unknown[], p: ParamList, bind: Bind): string {
  const terms = exprs.map((_, i) => {
    const equal = exprs.slice(0, i).map((e, j) => `${e} = ${p.add(bind(columns[j]!, values[j]))}`);
    return [...equal, `${exprs[i]} > ${p.add(bind(columns[i]!, values[i]))}`].join(' AND ');
  });
  return `(${terms.map((t, i) => (i === 0 ? t : `(${t})`)).join(' OR ')})`;
}

const page = (p: ParamList, limit: number) => ` OFFSET 0 ROWS FETCH NEXT ${p.add(limit)} ROWS ONLY`;

export const mssqlChangeFeed: ChangeFeedDialect = Object.freeze<ChangeFeedDialect>({
  versions: (table: string): CompiledQuery => ({
    sql: 'SELECT CHANGE_TRACKING_CURRENT_VERSION() AS [current_version], CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID(@p1)) AS [min_valid_version]',
    params: [quoteTable(table)],
  }),
  load(spec) {
    const p = new ParamList(placeholder);
    const bind = bindByColumn(spec.columnInfo);
    const pk = spec.primaryKey.map((c) => `T.${q(c)}`);
    const where = spec.after ? ` WHERE ${tupleAfter(pk, spec.primaryKey, spec.after, p, bind)}` : '';
    const sql = `SELECT ${selectList(spec, 'T').join(', ')} FROM ${quoteTable(spec.table)} AS T${where} ORDER BY ${pk.join(', ')}${page(p, spec.limit)}`;
    return { sql, params: p.params };
  },
  changes(spec) {
    const p = new ParamList(placeholder);
    const bind = bindByColumn(spec.columnInfo);
    const table = quoteTable(spec.table);
    const ctv = `CT.[SYS_CHANGE_VERSION]`;
    const since = p.add(version(spec.since));
    const pk = spec.primaryKey.map((c) => `CT.${q(c)}`);
    const join = spec.primaryKey.map((c) => `T.${q(c)} = CT.${q(c)}`).join(' AND ');
    const conditions = [`${ctv} <= ${p.add(version(spec.upto))}`];
    if (spec.after) {
      const vBind: Bind = (c, v) => (c === CHANGE_VERSION ? version(v as bigint) : bind(c, v));
      conditions.push(tupleAfter([ctv, ...pk], [CHANGE_VERSION, ...spec.primaryKey], [spec.after.version, ...spec.after.key], p, vBind));
    }
    const gone = `T.${q(spec.primaryKey[0]!)} IS NULL`;
    const head = [`${ctv} AS ${q(CHANGE_VERSION)}`, `CASE WHEN ${gone} THEN N'D' ELSE CT.[SYS_CHANGE_OPERATION] END AS ${q(CHANGE_OPERATION)}`];
    const sql =
      `SELECT ${[...head, ...selectList(spec, 'CT')].join(', ')} FROM CHANGETABLE(CHANGES ${table}, ${since}) AS CT LEFT OUTER JOIN ${table} AS T ON ${join}` +
      ` WHERE ${conditions.join(' AND ')} ORDER BY ${[ctv, ...pk].join(', ')}${page(p, spec.limit)}`;
    return { sql, params: p.params };
  },
  countLoad(spec) {
    const p = new ParamList(placeholder);
    const pk = spec.primaryKey.map((c) => `T.${q(c)}`);
    const where = spec.after ? ` WHERE ${tupleAfter(pk, spec.primaryKey, spec.after, p, bindByColumn(spec.columnInfo))}` : '';
    return { sql: `SELECT COUNT(*) AS [n] FROM ${quoteTable(spec.table)} AS T${where}`, params: p.params };
  },
  countChanges(spec) {
    const p = new ParamList(placeholder);
    const since = p.add(version(spec.since));
    const ctv = `CT.[SYS_CHANGE_VERSION]`;
    const bind = bindByColumn(spec.columnInfo);
    const vBind: Bind = (c, v) => (c === CHANGE_VERSION ? version(v as bigint) : bind(c, v));
    const where = spec.after
      ? ` WHERE ${tupleAfter([ctv, ...spec.primaryKey.map((c) => `CT.${q(c)}`)], [CHANGE_VERSION, ...spec.primaryKey], [spec.after.version, ...spec.after.key], p, vBind)}`
      : '';
    return { sql: `SELECT COUNT(*) AS [n] FROM CHANGETABLE(CHANGES ${quoteTable(spec.table)}, ${since}) AS CT${where}`, params: p.params };
  },
});
