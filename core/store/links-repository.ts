import { sql } from 'kysely';
import { insertRows } from './bulk.js';
import type { Db, StoreDialect } from './database.js';
import { textOrNull } from './columns.js';

/** An id link with the content hashes the engine keeps for echo suppression and skipping. */
export interface LinkState {
  readonly hubId: string;
  readonly externalId: string;
  /** Hash of the payload the hub last wrote to the system. */
  readonly outHash: string | null;
  /** Hash of that payload mapped back in: an inbound change with this hash is the hub's own echo. */
  readonly echoHash: string | null;
  /** Hash of the canonical change last read from the system. */
  readonly inHash: string | null;
  /** When the system last received (or already held) the hub's state of the record. */
  readonly deliveredAt: string | null;
}

export interface LinkWrite {
  readonly hubId: string;
  readonly externalId: string;
  readonly outHash?: string | null;
  readonly echoHash?: string | null;
  readonly inHash?: string | null;
  readonly deliveredAt?: string | null;
}

const LINK_COLUMNS = ['system', 'entity', 'hub_id', 'created_at', 'external_id', 'out_hash', 'echo_hash', 'in_hash', 'delivered_at', 'updated_at'] as const;
/** A link saved again (same system, entity and hub id) takes the new values but keeps its created_at. */
const LINK_UPSERT = { key: ['system', 'entity', 'hub_id'], update: ['external_id', 'out_hash', 'echo_hash', 'in_hash', 'delivered_at', 'updated_at'] } as const;

/**
 * Id links, `hub_id_links`: (system, entity, hub id) ↔ external id, with the content hashes the
 * engine keeps for echo suppression and skipping.
 */
export class LinkRepository {
  constructor(
    private readonly db: Db,
    private readonly dialect: StoreDialect,
  ) {}

  private toLink(r: Record<string, unknown>): LinkState {
    return { hubId: String(r['hub_id']), externalId: String(r['external_id']), outHash: textOrNull(r['out_hash']), echoHash: textOrNull(r['echo_hash']), inHash: textOrNull(r['in_hash']), deliveredAt: textOrNull(r['delivered_at']) };
  }

  /** Link states of hub records, by hub id. */
  async byHub(system: string, entity: string, hubIds: readonly string[]): Promise<Map<string, LinkState>> {
    if (hubIds.length === 0) return new Map();
    const rows = await this.db.selectFrom('hub_id_links').selectAll().where('system', '=', system).where('entity', '=', entity).where('hub_id', 'in', [...hubIds]).execute();
    return new Map(rows.map((r) => [String(r['hub_id']), this.toLink(r)]));
  }

  /** Link states by external id. */
  async byExternal(system: string, entity: string, externalIds: readonly string[]): Promise<Map<string, LinkState>> {
    if (externalIds.length === 0) return new Map();
    const rows = await this.db.selectFrom('hub_id_links').selectAll().where('system', '=', system).where('entity', '=', entity).where('external_id', 'in', [...externalIds]).execute();
    return new Map(rows.map((r) => [String(r['external_id']), this.toLink(r)]));
  }

  /**
   * Creates or updates links (hashes given as undefined keep their value). A link of another hub
   * record to the same external id is replaced: the external record now belongs to this one.
   */
  async save(system: string, entity: string, links: readonly LinkWrite[], at: string): Promise<void> {
    if (links.length === 0) return;
    const existing = await this.byHub(system, entity, links.map((l) => l.hubId));
    const taken = await this.byExternal(system, entity, links.map((l) => l.externalId));
    // One row per hub id: a link named twice takes its last values.
    const rows = new Map<string, unknown[]>();
    let changed = false;
    for (const l of links) {
      const other = taken.get(l.externalId);
      if (other && other.hubId !== l.hubId) {
        await this.db.deleteFrom('hub_id_links').where('system', '=', system).where('entity', '=', entity).where('hub_id', '=', other.hubId).execute();
      }
      const cur = existing.get(l.hubId);
      const values = {
        external_id: l.externalId,
        out_hash: l.outHash === undefined ? (cur?.outHash ?? null) : l.outHash,
        echo_hash: l.echoHash === undefined ? (cur?.echoHash ?? null) : l.echoHash,
        in_hash: l.inHash === undefined ? (cur?.inHash ?? null) : l.inHash,
        delivered_at: l.deliveredAt === undefined ? (cur?.deliveredAt ?? null) : l.deliveredAt,
        updated_at: at,
      };
      rows.set(l.hubId, [system, entity, l.hubId, at, values.external_id, values.out_hash, values.echo_hash, values.in_hash, values.delivered_at, values.updated_at]);
      if (cur) changed = true;
    }
    // New and changed links in multi-row statements (a backfill makes thousands, a mass update changes
    // thousands); a changed link keeps its created_at. Other holders of these external ids are gone.
    await insertRows(this.db, this.dialect, 'hub_id_links', LINK_COLUMNS, [...rows.values()], changed ? LINK_UPSERT : undefined);
  }

  /** Forgets what was last written, so the next delivery is sent even if unchanged (replays, conflict picks). */
  async forgetOutHash(system: string, entity: string, hubIds: readonly string[]): Promise<void> {
    if (hubIds.length === 0) return;
    await this.db.updateTable('hub_id_links').set({ out_hash: null }).where('system', '=', system).where('entity', '=', entity).where('hub_id', 'in', [...hubIds]).execute();
  }

  async unlink(system: string, entity: string, hubId: string): Promise<void> {
    await this.db.deleteFrom('hub_id_links').where('system', '=', system).where('entity', '=', entity).where('hub_id', '=', hubId).execute();
  }

  async count(system: string, entity: string): Promise<number> {
    const row = await this.db.selectFrom('hub_id_links').select(sql<number>`count(*)`.as('n')).where('system', '=', system).where('entity', '=', entity).executeTakeFirst();
    return Number(row?.['n'] ?? 0);
  }

  // Plain id lookups (mapping lookups of references: an order's customer in the target's ids).

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
