import type { Kysely } from 'kysely';

/**
 * Id links: (system, entity, hub id) ↔ external id, unique on both sides, so a record is matched,
 * never duplicated, across syncs. The mappings' lookups read them; the sync engine writes them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('hub_id_links')
    .addColumn('system', 'varchar(64)', (c) => c.notNull())
    .addColumn('entity', 'varchar(32)', (c) => c.notNull())
    .addColumn('hub_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('external_id', 'varchar(191)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('hub_id_links_pk', ['system', 'entity', 'hub_id'])
    .addUniqueConstraint('hub_id_links_external', ['system', 'entity', 'external_id'])
    .execute();
}
