import type { Db } from './database.js';

/** (system, entity, hub id) ↔ external id. */
export class IdLinkRepository {
  constructor(private readonly db: Db) {}

  async link(system: string, entity: string, hubId: string, externalId: string, at: string): Promise<void> {
    await this.db.insertInto('hub_id_links').values({ system, entity, hub_id: hubId, external_id: externalId, created_at: at }).execute();
  }

  /** External ids of the given hub ids (missing ones are absent from the map). */
  async externalIds(system: string, entity: string, hubIds: readonly string[]): Promise<Map<string, string>> {
    if (hubIds.length === 0) return new Map();
    const rows = await this.db.selectFrom('hub_id_links').select(['hub_id', 'external_id']).where('system', '=', system).where('entity', '=', entity).where('hub_id', 'in', [...hubIds]).execute();
    return new Map(rows.map((r) => [String(r['hub_id']), String(r['external_id'])]));
  }

  /** Hub ids of the given external ids. */
  async hubIds(system: string, entity: string, externalIds: readonly string[]): Promise<Map<string, string>> {
    if (externalIds.length === 0) return new Map();
    const rows = await this.db.selectFrom('hub_id_links').select(['hub_id', 'external_id']).where('system', '=', system).where('entity', '=', entity).where('external_id', 'in', [...externalIds]).execute();
    return new Map(rows.map((r) => [String(r['external_id']), String(r['hub_id'])]));
  }
}
