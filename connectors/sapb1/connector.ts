import { ConnectorError, type Connector, type ConnectorDescription, type EntityCapabilities, type ExternalRecord } from '../contract.js';
import { createHttpClient, type FetchLike } from '../http/client.js';
import { INVENTORY_ENTITY, SAP_ENTITIES, type SapEntity } from './entities.js';
import { sapFailure } from './errors.js';
import { inventoryKey, readInventory } from './inventory.js';
import { listPath, type SapContext } from './query.js';
import { countChanges, readChanges } from './read.js';
import { ServiceLayerSession } from './session.js';
import { cursorAt } from './watermark.js';
import { cancelDocuments, upsertRecords } from './write.js';

/**
 * SAP Business One through its Service Layer (OData over HTTPS, `https://<host>:50000/b1s/v1`), written
 * directly on the connector contract: the Service Layer's login session, its OData paging and its
 * documents (numbered by SAP, lines merged by `LineNum`, cancelled rather than deleted) do not fit the
 * generic HTTP connector's configuration. Docs: docs/connectors/sapb1.md.
 */
export interface SapB1Options {
  /** The connector's name in `describe()` and messages. Default `sapb1`. */
  readonly name?: string;
  /** The Service Layer root, `https://host:50000/b1s/v1`. */
  readonly baseUrl: string;
  readonly companyDb: string;
  readonly userName: string;
  readonly password: string;
  /** Login `Language`: the language of SAP's messages. */
  readonly language?: number;
  /** Per-request timeout in ms. Default 30000. */
  readonly timeoutMs?: number;
  /** The server's IANA time zone, in which SAP stamps UpdateDate / UpdateTime: backfills from a point in time need it. */
  readonly timeZone?: string;
  /** Re-read window once caught up, in seconds. Default 1 (SAP stamps whole seconds). */
  readonly overlapSeconds?: number;
  /** Rows per page asked with `Prefer: odata.maxpagesize`. Default 100. */
  readonly pageSize?: number;
  /** What deleting an order does in SAP: `cancel` (default) or `close`. */
  readonly orderDelete?: 'cancel' | 'close';
  readonly fetch?: FetchLike;
  readonly now?: () => number;
}

function capabilities(entity: SapEntity): EntityCapabilities {
  const write = entity.write;
  return Object.freeze({
    read: true,
    write: write !== undefined,
    detectChanges: true,
    detectDeletes: entity.deleted !== undefined,
    naturalKeys: Object.freeze([...entity.naturalKeys]),
    ...(write === undefined ? {} : write.kind === 'code' ? { createRetry: 'key' as const, upsertKey: entity.key } : { createRetry: 'lookup' as const, upsertKey: write.lookupField }),
  });
}

export function createSapB1Connector(options: SapB1Options): Connector & { readonly session: ServiceLayerSession } {
  const name = options.name ?? 'sapb1';
  const root = options.baseUrl.replace(/\/+$/, '');
  const overlapSeconds = options.overlapSeconds ?? 1;
  if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0) throw new ConnectorError('permanent', 'invalid_config', 'overlapSeconds must be a non-negative whole number');
  const session = new ServiceLayerSession({
    baseUrl: root,
    companyDb: options.companyDb,
    userName: options.userName,
    password: options.password,
    ...(options.language === undefined ? {} : { language: options.language }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const client = createHttpClient({
    baseUrl: root,
    auth: { kind: 'session', session },
    // SAP's error is an object ({ code, message }): nothing of it goes into the client's messages.
    errorType: () => undefined,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const ctx: SapContext = { name, client, root, pageSize: options.pageSize ?? 100 };
  let closed = false;

  const entityOf = (entity: string): SapEntity => {
    if (closed) throw new ConnectorError('permanent', 'closed', `Connector ${name} is closed`);
    const e = SAP_ENTITIES[entity];
    if (e === undefined) throw new ConnectorError('permanent', 'unknown_entity', `Connector ${name} has no entity ${entity}`);
    return e;
  };
  const open = (): void => {
    if (closed) throw new ConnectorError('permanent', 'closed', `Connector ${name} is closed`);
  };

  const description: ConnectorDescription = Object.freeze({
    connector: name,
    entities: Object.freeze({
      ...Object.fromEntries(Object.entries(SAP_ENTITIES).map(([entity, e]) => [entity, capabilities(e)])),
      [INVENTORY_ENTITY]: Object.freeze({ read: true, write: false, detectChanges: true, detectDeletes: false, naturalKeys: Object.freeze(['ItemCode', 'WarehouseCode']) }),
    }),
  });

  return {
    session,
    describe: () => description,

    /**
     * Logs in (a wrong URL, company database, user or password each says so), then reads one row of every
     * entity set the connector uses, so a user without the authorization to read one is told which.
     */
    async check() {
      open();
      // The held session if there is one (each login takes a Service Layer session until it times out).
      await session.headers();
      const probes = [...Object.values(SAP_ENTITIES).map((e) => [e.set, e.key] as const), ['Items', 'ItemCode,ItemWarehouseInfoCollection'] as const];
      for (const [set, select] of probes) {
        try {
          await client.request({ method: 'GET', path: `/${listPath(set, { $select: select, $top: '1' })}` });
        } catch (error) {
          const failure = sapFailure(error, `${name}: GET ${set}`);
          if (failure.kind === 'retryable') throw failure;
          throw new ConnectorError('permanent', failure.code === 'connector_unauthorized' ? 'unauthorized' : 'forbidden', `${name}: the SAP B1 user cannot read ${set}: ${failure.message}`);
        }
      }
    },

    async read(entity, cursor, limit) {
      if (entity === INVENTORY_ENTITY) {
        open();
        return readInventory(ctx, cursor, limit);
      }
      return readChanges(ctx, entityOf(entity), cursor, limit, { overlapSeconds });
    },

    cursorSince(entity, since) {
      if (entity === INVENTORY_ENTITY) throw new ConnectorError('permanent', 'no_modified_format', `${name} ${INVENTORY_ENTITY} is read whole on every sweep: there is no point in time to start from`);
      entityOf(entity);
      if (options.timeZone === undefined) throw new ConnectorError('permanent', 'no_modified_format', `${name} cannot start a read at a point in time without timeZone (the Service Layer server's, in which SAP stamps UpdateDate and UpdateTime)`);
      return cursorAt(since, options.timeZone);
    },

    async count(entity, cursor) {
      if (entity === INVENTORY_ENTITY) throw new ConnectorError('permanent', 'not_countable', `${name} ${INVENTORY_ENTITY} cannot be counted (one record per item and warehouse)`);
      return countChanges(ctx, entityOf(entity), cursor);
    },

    async upsert(entity, records) {
      return upsertRecords(ctx, entityOf(entity), records);
    },

    async delete(entity, externalIds) {
      return cancelDocuments(ctx, entityOf(entity), externalIds, { orderDelete: options.orderDelete ?? 'cancel' });
    },

    keyOf(entity: string, record: ExternalRecord): string {
      if (entity === INVENTORY_ENTITY) {
        const key = inventoryKey(record);
        if (key === undefined) throw new ConnectorError('permanent', 'invalid_record', `${name} ${INVENTORY_ENTITY} record lacks ItemCode or WarehouseCode`);
        return key;
      }
      const e = entityOf(entity);
      const v = record[e.key];
      if (typeof v === 'string' && v !== '') return v;
      if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
      throw new ConnectorError('permanent', 'invalid_record', `${name} ${entity} record lacks ${e.key}`);
    },

    isDeleted(entity, record) {
      if (entity === INVENTORY_ENTITY) return false;
      return entityOf(entity).deleted?.(record) ?? false;
    },

    async close() {
      if (closed) return;
      closed = true;
      await session.logout();
    },
  };
}
