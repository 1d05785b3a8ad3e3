import { ConnectorError, type Connector, type ConnectorDescription, type EntityCapabilities, type ExternalRecord } from '../contract.js';
import { HttpError, type FetchLike } from '../http/client.js';
import { cursorAt, encodeCursor } from './cursor.js';
import { OdooAuthError, OdooCallError } from './errors.js';
import { ODOO_ENTITIES, type OdooEntity } from './models.js';
import { checkRow, recordId, type CodeResolver } from './records.js';
import { createOdooReader } from './reader.js';
import { createOdooRpc, JSONRPC_PATH, type OdooProtocol, type OdooRpc } from './rpc.js';
import { createOdooWriter } from './writer.js';

/**
 * An Odoo connector over JSON-RPC (Odoo 8–19) or JSON-2 (Odoo 19+): customers and their contacts
 * (res.partner), products (product.product), stock (stock.quant), sale orders with their lines, and,
 * read only, customer invoices and credit notes (account.move) and customer payments (account.payment).
 * See docs/connectors/odoo.md.
 */

export interface OdooOptions {
  /** The connector's name in `describe()`. Default `odoo`. */
  readonly name?: string;
  readonly baseUrl: string;
  readonly protocol: OdooProtocol;
  readonly database?: string;
  readonly login?: string;
  readonly password?: string;
  readonly apiKey?: string;
  /** Per-request timeout in ms. Default 30000. */
  readonly timeoutMs?: number;
  /** Re-read window in seconds once caught up (late commits). Default 0. */
  readonly overlapSeconds?: number;
  readonly fetch?: FetchLike;
}

/** The model whose access check() asks about: every entity needs partners. */
export const ODOO_CHECK_MODEL = 'res.partner';

export function createOdooConnector(options: OdooOptions): Connector {
  const name = options.name ?? 'odoo';
  const rpc: OdooRpc = createOdooRpc({
    protocol: options.protocol,
    baseUrl: options.baseUrl,
    ...(options.database === undefined ? {} : { database: options.database }),
    ...(options.login === undefined ? {} : { login: options.login }),
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const codes = new Map<string, Promise<number | undefined>>();
  const resolve: CodeResolver = (relation, field, code) => {
    const key = `${relation}|${field}|${code}`;
    let found = codes.get(key);
    if (!found) {
      found = rpc.call({ model: relation, method: 'search_read', args: { domain: [[field, '=', code]] }, kwargs: { fields: ['id'], limit: 2 } }).then((answer) => {
        if (!Array.isArray(answer)) throw new OdooCallError('retryable', 'invalid_response', `odoo ${relation}: search_read did not answer a list`);
        const ids = answer.map((row) => checkRow(row, `odoo ${relation}`)['id'] as number);
        return ids.length === 1 ? ids[0] : undefined;
      });
      codes.set(key, found);
      found.catch(() => codes.delete(key));
    }
    return found;
  };
  const reader = createOdooReader({ rpc, ...(options.overlapSeconds === undefined ? {} : { overlapSeconds: options.overlapSeconds }) });
  const writer = createOdooWriter({ rpc, resolve });
  let closed = false;

  function entityOf(entity: string): OdooEntity {
    if (closed) throw new ConnectorError('permanent', 'closed', `Connector ${name} is closed`);
    const def = ODOO_ENTITIES[entity];
    if (def === undefined) throw new ConnectorError('permanent', 'unknown_entity', `Connector ${name} has no entity ${entity}`);
    return def;
  }

  const description: ConnectorDescription = Object.freeze({
    connector: name,
    entities: Object.freeze(
      Object.fromEntries(
        Object.entries(ODOO_ENTITIES).map(([entity, def]): [string, EntityCapabilities] => [
          entity,
          Object.freeze({
            read: true,
            write: def.lookupField !== undefined,
            detectChanges: true,
            detectDeletes: def.deleted !== undefined,
            naturalKeys: Object.freeze([...def.naturalKeys]),
            ...(def.lookupField === undefined ? {} : { createRetry: 'lookup' as const, upsertKey: def.lookupField }),
          }),
        ]),
      ),
    ),
  });

  /** Whether the user may read partners (JSON-RPC: check_access_rights, Odoo ≤ 18; JSON-2 and 18+: has_access). */
  async function mayRead(): Promise<boolean> {
    if (rpc.protocol === 'jsonrpc') {
      try {
        return (await rpc.call({ model: ODOO_CHECK_MODEL, method: 'check_access_rights', args: { operation: 'read' }, kwargs: { raise_exception: false } })) === true;
      } catch (error) {
        // Odoo 19 dropped check_access_rights (deprecated in 18 for has_access).
        const gone = error instanceof OdooCallError && (error.fault?.name === 'builtins.AttributeError' || error.fault?.name === 'werkzeug.exceptions.NotFound');
        if (!gone) throw error;
      }
    }
    return (await rpc.call({ model: ODOO_CHECK_MODEL, method: 'has_access', args: { operation: 'read' } })) === true;
  }

  async function check(): Promise<void> {
    if (closed) throw new ConnectorError('permanent', 'closed', `Connector ${name} is closed`);
    const where = rpc.protocol === 'jsonrpc' ? `${JSONRPC_PATH}` : '/json/2';
    try {
      await rpc.authenticate();
      if (!(await mayRead())) throw new ConnectorError('permanent', 'forbidden', `${name}: the Odoo user may not read ${ODOO_CHECK_MODEL} (missing access rights)`);
    } catch (error) {
      if (error instanceof OdooAuthError) throw new ConnectorError('permanent', 'unauthorized', `${name}: ${error.message}`);
      if (error instanceof OdooCallError) {
        const fault = error.fault?.name;
        if (fault === 'odoo.exceptions.AccessError') throw new ConnectorError('permanent', 'forbidden', `${name}: the Odoo user may not read ${ODOO_CHECK_MODEL} (${fault})`);
        if (fault === 'werkzeug.exceptions.NotFound' || error.code === 'connector_not_found') {
          throw new ConnectorError('permanent', 'wrong_url', `${name}: Odoo has no ${where} endpoint at baseUrl${rpc.protocol === 'jsonrpc' ? ' (Odoo 19+ may have JSON-RPC turned off: use protocol json2)' : ' (JSON-2 needs Odoo 19 or later)'}`);
        }
        if (fault?.startsWith('psycopg2.') && rpc.protocol === 'jsonrpc') throw new ConnectorError('permanent', 'database', `${name}: Odoo could not open the configured database (${fault})`);
        throw error;
      }
      if (error instanceof HttpError) {
        if (error.httpStatus === 404 || error.httpStatus === 405) throw new ConnectorError('permanent', 'wrong_url', `${name}: nothing answers Odoo's ${where} at baseUrl (HTTP ${error.httpStatus}); check baseUrl`);
        if (error.code === 'connector_invalid_response') throw new ConnectorError('permanent', 'wrong_url', `${name}: baseUrl is not an Odoo server (${where} answered a body that is not JSON)`);
        if (error.httpStatus === 403) throw new ConnectorError('permanent', 'forbidden', `${name}: Odoo refused ${where} (HTTP 403)`);
      }
      throw error;
    }
  }

  return {
    describe: () => description,
    check,
    read: (entity, cursor, limit) => reader.read(entity, entityOf(entity), cursor, limit),
    count: (entity, cursor) => reader.count(entityOf(entity), cursor),
    cursorSince(entity: string, since: string): string {
      entityOf(entity);
      return encodeCursor(cursorAt(since));
    },
    keyOf(entity: string, record: ExternalRecord): string {
      entityOf(entity);
      const id = recordId(record);
      if (id === undefined) throw new ConnectorError('permanent', 'invalid_record', `${name} ${entity} record lacks id`);
      return id;
    },
    isDeleted(entity: string, record: ExternalRecord): boolean {
      const deleted = entityOf(entity).deleted;
      return deleted !== undefined && deleted.values.some((v) => record[deleted.field] === v);
    },
    upsert: (entity, records) => writer.upsert(entity, entityOf(entity), records),
    delete: (entity, externalIds) => writer.archive(entity, entityOf(entity), externalIds),
    async close() {
      // The HTTP client holds no connection of its own; closing only stops use.
      closed = true;
    },
  };
}
