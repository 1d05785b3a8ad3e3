import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CompiledQuery, Kysely, MysqlDialect, SqliteDialect, type Dialect } from 'kysely';

/** Which SQL dialect the store speaks. */
export type StoreDialect = 'sqlite' | 'mysql';

/**
 * A Kysely instance over some database. Tables are addressed by name at run time (the entity
 * definitions say which), so the schema type is open here; repositories type their rows.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Db = Kysely<any>;

export interface OpenedDatabase {
  readonly db: Db;
  readonly dialect: StoreDialect;
  /** Where the data lives, without credentials (for logs). */
  readonly location: string;
}

/**
 * Opens the database named by `url`: `mysql://user:pass@host:port/db` for MySQL / MariaDB, or
 * `sqlite:<file>` (or nothing, meaning `<dataDir>/hub.sqlite`) for the embedded store.
 */
export async function openDatabase(url: string | undefined, dataDir: string, options: { sqliteSynchronous?: 'normal' | 'full' } = {}): Promise<OpenedDatabase> {
  if (url && /^mysql:\/\//.test(url)) {
    const mysql = await import('mysql2');
    const parsed = new URL(url);
    const pool = mysql.createPool({
      uri: url,
      connectionLimit: Number(parsed.searchParams.get('connectionLimit') ?? 10),
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: true,
      charset: 'utf8mb4',
    });
    const dialect: Dialect = new MysqlDialect({ pool });
    const location = `mysql://${parsed.hostname}:${parsed.port || '3306'}${parsed.pathname}`;
    return { db: new Kysely({ dialect }), dialect: 'mysql', location };
  }
  let file: string;
  if (url && url.startsWith('sqlite:')) file = url.slice('sqlite:'.length);
  else if (url) throw new Error(`HUB_DB must start with mysql:// or sqlite: (got a value with another scheme)`);
  else {
    mkdirSync(dataDir, { recursive: true });
    file = join(dataDir, 'hub.sqlite');
  }
  const { default: Database } = await import('better-sqlite3');
  const sqlite = new Database(file === ':memory:' ? ':memory:' : resolve(file));
  sqlite.pragma('journal_mode = WAL');
  // WAL with synchronous=NORMAL (SQLite's advice for WAL): no fsync per commit, still crash-safe for the
  // process; FULL when power-loss durability of the last commits matters more than write latency.
  sqlite.pragma(`synchronous = ${options.sqliteSynchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Kysely prepares every statement afresh; the store runs a small set of statement shapes over and
  // over, so keep the prepared statements (one connection, used by one query at a time).
  const prepared = new Map<string, ReturnType<typeof sqlite.prepare>>();
  const database = Object.assign(Object.create(sqlite) as typeof sqlite, {
    prepare(source: string) {
      let statement = prepared.get(source);
      if (!statement) {
        statement = sqlite.prepare(source);
        if (prepared.size >= 2000) prepared.clear();
        prepared.set(source, statement);
      }
      return statement;
    },
    close() {
      prepared.clear();
      return sqlite.close();
    },
  });
  return {
    db: new Kysely({ dialect: immediateTransactions(new SqliteDialect({ database })) }),
    dialect: 'sqlite',
    location: file === ':memory:' ? 'sqlite::memory:' : `sqlite:${resolve(file)}`,
  };
}

/**
 * SQLite transactions start with BEGIN IMMEDIATE: they take the write lock at once, waiting for it
 * (busy_timeout) while another process writes. Kysely's plain BEGIN is deferred: a transaction that
 * reads first and writes later fails with SQLITE_BUSY_SNAPSHOT, without waiting, when another process
 * (a second `hub worker` on the same file) committed in between. Every store transaction writes.
 */
function immediateTransactions(dialect: SqliteDialect): SqliteDialect {
  const createDriver = dialect.createDriver.bind(dialect);
  dialect.createDriver = () => {
    const driver = createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  };
  return dialect;
}
