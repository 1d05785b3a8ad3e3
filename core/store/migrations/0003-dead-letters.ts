import { sql, type Kysely } from 'kysely';
import type { StoreDialect } from '../database.js';

/** Dead letters: deliveries that failed for good, with the projected payload and the error. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, dialect: StoreDialect): Promise<void> {
  await db.schema
    .createTable('hub_dead_letters')
    .addColumn('id', dialect === 'mysql' ? 'bigint' : 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('target', 'varchar(64)', (c) => c.notNull())
    .addColumn('entity', 'varchar(32)', (c) => c.notNull())
    .addColumn('record_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('payload', sql`longtext`, (c) => c.notNull())
    .addColumn('error_code', 'varchar(64)', (c) => c.notNull())
    .addColumn('error_message', 'varchar(1000)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('resolved_at', 'varchar(32)')
    .execute();
  await db.schema.createIndex('hub_dead_letters_open').on('hub_dead_letters').columns(['resolved_at', 'id']).execute();
}
