import { sql, type Kysely } from 'kysely';
import type { StoreDialect } from '../database.js';

/**
 * The sync engine's state: who made each outbox change (echo suppression), per-link content
 * hashes, source cursors, runs (backfill, reconciliation), the conflict inbox, field lineage and
 * the state of dead letters.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, dialect: StoreDialect): Promise<void> {
  const autoId = dialect === 'mysql' ? 'bigint' : 'integer';
  const text = sql`longtext`;
  await db.schema.alterTable('hub_outbox').addColumn('origin', 'varchar(64)').execute();
  // What the hub last wrote to the system (hash of the payload), the same mapped back in (echo), and what it last read.
  await db.schema.alterTable('hub_id_links').addColumn('out_hash', 'varchar(64)').execute();
  await db.schema.alterTable('hub_id_links').addColumn('echo_hash', 'varchar(64)').execute();
  await db.schema.alterTable('hub_id_links').addColumn('in_hash', 'varchar(64)').execute();
  await db.schema.alterTable('hub_id_links').addColumn('updated_at', 'varchar(32)').execute();
  // When the system last received the hub's state of the record: a field the hub changed before it was seen there.
  await db.schema.alterTable('hub_id_links').addColumn('delivered_at', 'varchar(32)').execute();
  await db.schema.alterTable('hub_dead_letters').addColumn('direction', 'varchar(8)', (c) => c.notNull().defaultTo('out')).execute();
  await db.schema.alterTable('hub_dead_letters').addColumn('state', 'varchar(16)', (c) => c.notNull().defaultTo('open')).execute();
  await db.schema.alterTable('hub_dead_letters').addColumn('resolved_by', 'varchar(64)').execute();
  await db.schema.createIndex('hub_dead_letters_target').on('hub_dead_letters').columns(['target', 'state', 'id']).execute();

  // Natural-key matching on first contact: customers are also matched on tax id and email.
  for (const [column, field, size] of [['tax_id', 'taxId', 64], ['email', 'email', 254]] as const) {
    await db.schema.alterTable('hub_customers').addColumn(column, sql.raw(`varchar(${size})`), (c) => c.notNull().defaultTo('')).execute();
    await db.schema.createIndex(`hub_customers_${column}`).on('hub_customers').columns([column, 'id']).execute();
    let after = '';
    for (;;) {
      const rows = await db.selectFrom('hub_customers').select(['id', 'data']).where('id', '>', after).orderBy('id').limit(500).execute();
      if (rows.length === 0) break;
      for (const r of rows) {
        const value = (JSON.parse(String(r['data'])) as Record<string, unknown>)[field];
        if (typeof value === 'string' && value !== '') await db.updateTable('hub_customers').set({ [column]: value.slice(0, size) }).where('id', '=', r['id']).execute();
      }
      after = String(rows[rows.length - 1]!['id']);
    }
  }

  await db.schema
    .createTable('hub_sync_cursors')
    .addColumn('connector', 'varchar(64)', (c) => c.notNull())
    .addColumn('entity', 'varchar(64)', (c) => c.notNull())
    .addColumn('cursor', text)
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('hub_sync_cursors_pk', ['connector', 'entity'])
    .execute();

  await db.schema
    .createTable('hub_sync_runs')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('connector', 'varchar(64)', (c) => c.notNull())
    .addColumn('entity', 'varchar(32)', (c) => c.notNull())
    .addColumn('direction', 'varchar(8)', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('since', 'varchar(32)')
    .addColumn('checkpoint', text)
    .addColumn('total', 'integer')
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('report', text)
    .addColumn('message', 'varchar(1000)')
    .addColumn('created_by', 'varchar(64)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('started_at', 'varchar(32)')
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('finished_at', 'varchar(32)')
    .execute();
  await db.schema.createIndex('hub_sync_runs_connector').on('hub_sync_runs').columns(['connector', 'created_at']).execute();

  await db.schema
    .createTable('hub_conflicts')
    .addColumn('id', autoId, (c) => c.primaryKey().autoIncrement())
    .addColumn('entity', 'varchar(32)', (c) => c.notNull())
    .addColumn('record_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('field', 'varchar(191)', (c) => c.notNull())
    .addColumn('system', 'varchar(64)', (c) => c.notNull())
    .addColumn('their_value', text)
    .addColumn('hub_value', text)
    .addColumn('hub_system', 'varchar(64)')
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('resolved_at', 'varchar(32)')
    .addColumn('resolved_by', 'varchar(64)')
    .addColumn('resolution', 'varchar(16)')
    .execute();
  await db.schema.createIndex('hub_conflicts_state').on('hub_conflicts').columns(['state', 'id']).execute();

  await db.schema
    .createTable('hub_lineage')
    .addColumn('entity', 'varchar(32)', (c) => c.notNull())
    .addColumn('record_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('field', 'varchar(191)', (c) => c.notNull())
    .addColumn('system', 'varchar(64)', (c) => c.notNull())
    .addColumn('job', 'varchar(191)')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('hub_lineage_pk', ['entity', 'record_id', 'field'])
    .execute();
}
