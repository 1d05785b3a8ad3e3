import { sql } from 'kysely';
import { AuditRepository } from './audit-repository.js';
import { AuthRepository } from './auth-repository.js';
import { openDatabase, type Db, type StoreDialect } from './database.js';
import { IdempotencyRepository } from './idempotency-repository.js';
import { IdLinkRepository } from './id-links-repository.js';
import { migrateToLatest } from './migrate.js';
import { OutboxRepository } from './outbox-repository.js';
import { RecordRepository } from './records.js';

/**
 * The hub store: one interface over SQLite (embedded, the default) and MySQL / MariaDB. The same
 * migrations and queries serve both. Repositories are bound to a connection or to a transaction;
 * `transaction()` hands the callback a store whose every write commits or rolls back together.
 */
export class Store {
  readonly records: RecordRepository;
  readonly auth: AuthRepository;
  readonly audit: AuditRepository;
  readonly idempotency: IdempotencyRepository;
  readonly outbox: OutboxRepository;
  readonly idLinks: IdLinkRepository;

  private constructor(
    private readonly db: Db,
    readonly dialect: StoreDialect,
    readonly location: string,
    private readonly inTransaction: boolean,
  ) {
    this.records = new RecordRepository(db);
    this.auth = new AuthRepository(db);
    this.audit = new AuditRepository(db);
    this.idempotency = new IdempotencyRepository(db);
    this.outbox = new OutboxRepository(db);
    this.idLinks = new IdLinkRepository(db);
  }

  /** Opens (and migrates) the store at `url` (see `openDatabase`). */
  static async open(url: string | undefined, dataDir: string, options: { migrate?: boolean } = {}): Promise<Store> {
    const opened = await openDatabase(url, dataDir);
    if (options.migrate !== false) await migrateToLatest(opened.db, opened.dialect);
    return new Store(opened.db, opened.dialect, opened.location, false);
  }

  async migrate(): Promise<string[]> {
    return migrateToLatest(this.db, this.dialect);
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    return this.db.transaction().execute((trx) => fn(new Store(trx, this.dialect, this.location, true)));
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    if (!this.inTransaction) await this.db.destroy();
  }

  /** True when `error` is a unique-key violation of the underlying database. */
  isUniqueViolation(error: unknown): boolean {
    const e = error as { code?: unknown; errno?: unknown } | null;
    if (!e || typeof e !== 'object') return false;
    return e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e.code === 'ER_DUP_ENTRY' || e.errno === 1062;
  }
}
