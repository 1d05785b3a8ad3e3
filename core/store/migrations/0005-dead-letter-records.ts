import type { Kysely } from 'kysely';

/**
 * Dead letters looked up by record: a later delivery (or ingest) of the same record settles its open
 * letter, and a record that fails again updates its open letter instead of adding a second one.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('hub_dead_letters_record').on('hub_dead_letters').columns(['target', 'entity', 'record_id', 'state']).execute();
}
