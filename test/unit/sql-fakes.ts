import { SqlDriverError, type SqlConnection, type SqlDriver, type SqlResult } from '../../connectors/sql/driver.js';

/** A described column as SQL Server's INFORMATION_SCHEMA answers it (see `mssqlDialect.describeTable`). */
export interface FakeColumn {
  readonly type: string;
  readonly length?: number;
  readonly precision?: number;
  readonly collation?: string;
  readonly pk?: boolean;
}

/** The rows `describeTable` answers for `columns`, in order. */
export function describeRows(columns: Readonly<Record<string, FakeColumn>>): Record<string, unknown>[] {
  return Object.entries(columns).map(([name, c]) => ({
    column_name: name,
    data_type: c.type,
    max_length: c.length ?? null,
    datetime_precision: c.precision ?? null,
    collation: c.collation ?? null,
    primary_key: c.pk ? 1 : 0,
  }));
}

export const isDescribe = (sql: string) => sql.includes('INFORMATION_SCHEMA');

export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/**
 * A driver that records what the connector sent (transaction calls in `log`; table descriptions are
 * answered from `columns` and kept apart in `describes`) and answers or fails statements as told.
 */
export function fakeDriver(options: {
  columns?: Readonly<Record<string, FakeColumn>>;
  answer?: (sql: string, params: readonly unknown[]) => readonly Record<string, unknown>[] | SqlDriverError | null;
}) {
  const log: string[] = [];
  const statements: Statement[] = [];
  const describes: Statement[] = [];
  // The release after a description is not logged either.
  let describeReleases = 0;
  const conn: SqlConnection = {
    async query(sql, params): Promise<SqlResult> {
      if (isDescribe(sql)) {
        describes.push({ sql, params });
        describeReleases++;
        return { rows: options.columns ? describeRows(options.columns) : [], affectedRows: 0 };
      }
      statements.push({ sql, params });
      log.push('query');
      const a = options.answer?.(sql, params) ?? null;
      if (a instanceof SqlDriverError) throw a;
      return { rows: a ?? [], affectedRows: 1 };
    },
    beginTransaction: async () => void log.push('begin'),
    commit: async () => void log.push('commit'),
    rollback: async () => void log.push('rollback'),
    release: () => {
      if (describeReleases > 0) describeReleases--;
      else log.push('release');
    },
  };
  const driver: SqlDriver = { acquire: async () => conn, close: async () => undefined };
  return { driver, log, statements, describes };
}
