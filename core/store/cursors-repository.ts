import type { Db } from './database.js';
import { textOrNull } from './columns.js';

/** Read cursors of sources, `hub_sync_cursors`: where the next poll of (connector, entity) starts. */
export class CursorRepository {
  constructor(private readonly db: Db) {}

  async get(connector: string, entity: string): Promise<{ cursor: string | null; updatedAt: string } | undefined> {
    const r = await this.db.selectFrom('hub_sync_cursors').selectAll().where('connector', '=', connector).where('entity', '=', entity).executeTakeFirst();
    return r ? { cursor: textOrNull(r['cursor']), updatedAt: String(r['updated_at']) } : undefined;
  }

  async save(connector: string, entity: string, cursor: string | null, at: string): Promise<void> {
    const done = await this.db.updateTable('hub_sync_cursors').set({ cursor, updated_at: at }).where('connector', '=', connector).where('entity', '=', entity).executeTakeFirst();
    if (Number(done.numUpdatedRows) === 0) await this.db.insertInto('hub_sync_cursors').values({ connector, entity, cursor, updated_at: at }).execute();
  }
}
