import { sql, type Kysely } from 'kysely';

/**
 * Feed runs and their sequence numbers. A run's sequence is taken from `hub_feed_sequences` in the
 * transaction that records the finished run (the row lock orders concurrent runs on MySQL; SQLite
 * has one writer): a run that fails rolls its number back, so the numbers of a feed have no gaps.
 * Failed runs are recorded too, without a sequence (the unique index allows many NULLs).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const text = sql`longtext`;
  await db.schema
    .createTable('hub_feed_sequences')
    .addColumn('feed', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('last_sequence', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('hub_feed_runs')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('feed', 'varchar(64)', (c) => c.notNull())
    .addColumn('sequence', 'integer')
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('origin', 'varchar(16)', (c) => c.notNull())
    .addColumn('as_of', 'varchar(10)', (c) => c.notNull())
    .addColumn('time_zone', 'varchar(64)', (c) => c.notNull())
    .addColumn('receiver', 'varchar(64)', (c) => c.notNull())
    .addColumn('records', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('customer_totals', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('key_id', 'varchar(32)')
    .addColumn('manifest_sha256', 'varchar(64)')
    .addColumn('files', text)
    .addColumn('message', 'varchar(1000)')
    .addColumn('dir_state', 'varchar(16)')
    .addColumn('dir_at', 'varchar(32)')
    .addColumn('dir_error', 'varchar(1000)')
    .addColumn('http_state', 'varchar(16)')
    .addColumn('http_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('http_at', 'varchar(32)')
    .addColumn('http_error', 'varchar(1000)')
    .addColumn('created_by', 'varchar(191)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('finished_at', 'varchar(32)')
    .execute();
  await db.schema.createIndex('hub_feed_runs_sequence').unique().on('hub_feed_runs').columns(['feed', 'sequence']).execute();
  await db.schema.createIndex('hub_feed_runs_created').on('hub_feed_runs').columns(['feed', 'created_at', 'id']).execute();
}
