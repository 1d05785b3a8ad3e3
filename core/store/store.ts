import { AsyncLocalStorage } from 'node:async_hooks';
import { sql, type KyselyPlugin } from 'kysely';
import { AuditRepository } from './audit-repository.js';
import { AuthRepository } from './auth-repository.js';
import { openDatabase, type Db, type StoreDialect } from './database.js';
import { IdempotencyRepository } from './idempotency-repository.js';
import { DeadLetterRepository } from './dead-letters-repository.js';
import { FeedRepository } from './feeds-repository.js';
import { migrateToLatest } from './migrate.js';
import { OutboxRepository } from './outbox-repository.js';
import { RecordRepository } from './records.js';
import { ConflictRepository } from './conflicts-repository.js';
import { CursorRepository } from './cursors-repository.js';
import { LineageRepository } from './lineage-repository.js';
import { LinkRepository } from './links-repository.js';
import { RunRepository } from './runs-repository.js';

/**
 * The hub store: one interface over SQLite (embedded, the default) and MySQL / MariaDB. The same
 * migrations and queries serve both. Repositories are bound to a connection or to a transaction;
 * `transaction()` hands the callback a store whose every write commits or rolls back together.
 */
/** Marks the async context of a running transaction (per root store). */
type TxMark = AsyncLocalStorage<true>;

/**
 * SQLite runs on one connection, so a query on the outer store from inside a transaction would wait
 * for the transaction to finish: a silent deadlock. This plugin turns that mistake into an error.
 */
function outerQueryGuard(mark: TxMark): KyselyPlugin {
  return {
    transformQuery(args) {
      if (mark.getStore()) throw new Error('A query used the outer store inside a transaction; use the transaction store (tx) passed to the callback');
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
}

export class Store {
  readonly records: RecordRepository;
  readonly auth: AuthRepository;
  readonly audit: AuditRepository;
  readonly idempotency: IdempotencyRepository;
  readonly outbox: OutboxRepository;
  readonly deadLetters: DeadLetterRepository;
  /** Id links with their content hashes. */
  readonly links: LinkRepository;
  /** Source read cursors. */
  readonly cursors: CursorRepository;
  /** Backfill and reconciliation runs. */
  readonly runs: RunRepository;
  /** The conflict inbox. */
  readonly conflicts: ConflictRepository;
  /** Field lineage. */
  readonly lineage: LineageRepository;
  /** Feed runs and their sequence numbers. */
  readonly feeds: FeedRepository;

  private constructor(
    private readonly db: Db,
    readonly dialect: StoreDialect,
    readonly location: string,
    private readonly inTransaction: boolean,
    private readonly mark: TxMark = new AsyncLocalStorage<true>(),
    private readonly commitListeners: Set<() => void> = new Set(),
  ) {
    const repoDb = !inTransaction && dialect === 'sqlite' ? db.withPlugin(outerQueryGuard(mark)) : db;
    this.records = new RecordRepository(repoDb, dialect, () => {
      if (inTransaction) this.wroteOutbox = true;
      else this.committed();
    });
    this.auth = new AuthRepository(repoDb);
    this.audit = new AuditRepository(repoDb);
    this.idempotency = new IdempotencyRepository(repoDb);
    this.outbox = new OutboxRepository(repoDb);
    this.deadLetters = new DeadLetterRepository(repoDb);
    this.links = new LinkRepository(repoDb, dialect);
    this.cursors = new CursorRepository(repoDb);
    this.runs = new RunRepository(repoDb);
    this.conflicts = new ConflictRepository(repoDb);
    this.lineage = new LineageRepository(repoDb, dialect);
    this.feeds = new FeedRepository(repoDb, (error) => this.isUniqueViolation(error));
  }

  private wroteOutbox = false;

  /**
   * Calls `listener` after every commit that wrote outbox rows (the relay's wake-up: a change is
   * handed over within milliseconds, not at the next poll). Returns a function that unsubscribes.
   */
  onCommit(listener: () => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  private committed(): void {
    for (const l of this.commitListeners) {
      try {
        l();
      } catch {
        /* a listener's failure is not the writer's */
      }
    }
  }

  /** Opens (and migrates) the store at `url` (see `openDatabase`). */
  static async open(url: string | undefined, dataDir: string, options: { migrate?: boolean; sqliteSynchronous?: 'normal' | 'full' } = {}): Promise<Store> {
    const opened = await openDatabase(url, dataDir, options.sqliteSynchronous ? { sqliteSynchronous: options.sqliteSynchronous } : {});
    if (options.migrate !== false) await migrateToLatest(opened.db, opened.dialect);
    return new Store(opened.db, opened.dialect, opened.location, false);
  }

  async migrate(): Promise<string[]> {
    return migrateToLatest(this.db, this.dialect);
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    let inner: Store | undefined;
    const result = await this.db.transaction().execute((trx) =>
      this.mark.run(true, () => fn((inner = new Store(trx, this.dialect, this.location, true, this.mark, this.commitListeners)))),
    );
    if (inner?.wroteOutbox) this.committed();
    return result;
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
