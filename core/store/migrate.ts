import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db, StoreDialect } from './database.js';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-id-links.js';
import * as m0003 from './migrations/0003-dead-letters.js';
import * as m0004 from './migrations/0004-sync.js';
import * as m0005 from './migrations/0005-dead-letter-records.js';
import * as m0006 from './migrations/0006-receivable-status.js';
import * as m0007 from './migrations/0007-feeds.js';

/** Migrations in order; each is written once and never changed after it shipped. */
function migrations(dialect: StoreDialect): Record<string, Migration> {
  return {
    '0001-initial': { up: (db) => m0001.up(db, dialect) },
    '0002-id-links': { up: (db) => m0002.up(db) },
    '0003-dead-letters': { up: (db) => m0003.up(db, dialect) },
    '0004-sync': { up: (db) => m0004.up(db, dialect) },
    '0005-dead-letter-records': { up: (db) => m0005.up(db) },
    '0006-receivable-status': { up: (db) => m0006.up(db) },
    '0007-feeds': { up: (db) => m0007.up(db) },
  };
}

/** Brings the schema up to date; safe to run from several processes (Kysely takes a lock). */
export async function migrateToLatest(db: Db, dialect: StoreDialect): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  const migrator = new Migrator({ db, provider, migrationTableName: 'hub_migrations', migrationLockTableName: 'hub_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
