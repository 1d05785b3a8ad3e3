import { sql, type Kysely } from 'kysely';
import type { StoreDialect } from '../database.js';

/**
 * The first schema. Each canonical entity lives in one table: its full record as JSON in `data`,
 * plus indexed copies of the fields that filters, sorting, search and row scopes need. The indexed
 * columns are frozen here; adding one later takes a new migration.
 */
const ENTITY_TABLES: Readonly<Record<string, readonly string[]>> = {
  hub_customers: ['code', 'name', 'owner_id', 'team_id', 'status'],
  hub_contacts: ['customer_id', 'last_name', 'owner_id', 'team_id'],
  hub_products: ['sku', 'name', 'active'],
  hub_inventory_levels: ['product_id', 'warehouse'],
  hub_orders: ['number', 'customer_id', 'owner_id', 'team_id', 'status', 'order_date'],
  hub_receivables: ['number', 'customer_id', 'owner_id', 'team_id', 'status', 'due_date'],
  hub_payments: ['customer_id', 'receivable_id', 'owner_id', 'team_id', 'date'],
  hub_users: ['username', 'team_id', 'display_name'],
  hub_teams: ['name', 'parent_team_id'],
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, dialect: StoreDialect): Promise<void> {
  const autoId = dialect === 'mysql' ? 'bigint' : 'integer';
  const text = sql`longtext`;
  for (const [table, columns] of Object.entries(ENTITY_TABLES)) {
    let t = db.schema
      .createTable(table)
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      // Unique among live records; set to NULL when the record is deleted so the key can be reused.
      .addColumn('natural_key', 'varchar(191)', (c) => c.unique())
      .addColumn('data', text, (c) => c.notNull())
      .addColumn('search', 'varchar(1024)', (c) => c.notNull().defaultTo(''))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('deleted_at', 'varchar(32)');
    for (const column of columns) t = t.addColumn(column, 'varchar(191)', (c) => c.notNull().defaultTo(''));
    // Binary collation on MySQL so keys, uniqueness and sort order behave as in SQLite.
    if (dialect === 'mysql') t = t.modifyEnd(sql`default character set utf8mb4 collate utf8mb4_bin`);
    await t.execute();
    await db.schema.createIndex(`${table}_updated`).on(table).columns(['updated_at', 'id']).execute();
    await db.schema.createIndex(`${table}_created`).on(table).columns(['created_at', 'id']).execute();
    for (const column of columns) {
      await db.schema.createIndex(`${table}_${column}`).on(table).columns([column, 'id']).execute();
    }
  }

  await db.schema
    .createTable('hub_credentials')
    .addColumn('user_id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('hub_sessions')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('hub_sessions_user').on('hub_sessions').column('user_id').execute();
  await db.schema.createIndex('hub_sessions_expires').on('hub_sessions').column('expires_at').execute();

  await db.schema
    .createTable('hub_api_keys')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(191)', (c) => c.notNull())
    .addColumn('prefix', 'varchar(32)', (c) => c.notNull())
    .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('roles', 'varchar(2048)', (c) => c.notNull())
    .addColumn('created_by', 'varchar(191)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)')
    .addColumn('last_used_at', 'varchar(32)')
    .addColumn('revoked_at', 'varchar(32)')
    .execute();

  await db.schema
    .createTable('hub_audit')
    .addColumn('id', autoId, (c) => c.primaryKey().autoIncrement())
    .addColumn('time', 'varchar(32)', (c) => c.notNull())
    .addColumn('actor', 'varchar(191)', (c) => c.notNull())
    .addColumn('actor_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('source_ip', 'varchar(64)', (c) => c.notNull())
    .addColumn('action', 'varchar(64)', (c) => c.notNull())
    .addColumn('entity', 'varchar(32)')
    .addColumn('record_ids', text, (c) => c.notNull())
    .addColumn('fields', text, (c) => c.notNull())
    .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
    .addColumn('status', 'integer')
    .execute();
  for (const col of ['time', 'actor', 'action', 'entity']) {
    await db.schema.createIndex(`hub_audit_${col}`).on('hub_audit').columns([col, 'id']).execute();
  }

  await db.schema
    .createTable('hub_outbox')
    .addColumn('id', autoId, (c) => c.primaryKey().autoIncrement())
    .addColumn('entity', 'varchar(32)', (c) => c.notNull())
    .addColumn('record_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('op', 'varchar(16)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('hub_idempotency')
    .addColumn('actor', 'varchar(191)', (c) => c.notNull())
    .addColumn('idem_key', 'varchar(255)', (c) => c.notNull())
    .addColumn('operation', 'varchar(64)', (c) => c.notNull())
    .addColumn('request_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('response', text, (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('hub_idempotency_pk', ['actor', 'idem_key'])
    .execute();
  await db.schema.createIndex('hub_idempotency_created').on('hub_idempotency').column('created_at').execute();
}
