import { ConnectorError, type Connector, type ConnectorDescription, type EntityCapabilities, type ExternalRecord, type ReadPage, type RecordOutcome, type UpsertRequest } from '../contract.js';
import { HttpError, type FetchLike } from '../http/client.js';
import { aadstsCodes } from '../http/oauth2.js';
import { odataString } from '../http/odata.js';
import { BC_MAX_BATCH, BC_SCOPE, BcApi, odataQuery } from './client.js';
import { BC_ENTITIES, BC_ENTITY_NAMES, isBcEntity, type BcEntity, type BcEntityName } from './entities.js';
import { failureOf, isAuthFailure, toConnectorError } from './errors.js';
import { cursorSince, readLedger, readModified } from './read.js';
import { upsertRecords } from './write.js';

/**
 * Microsoft Dynamics 365 Business Central through its API v2.0 (docs/connectors/businesscentral.md):
 * customers and items read and written, sales orders written with their lines and read back, posted
 * sales invoices, customer payments and items' stock read.
 */

export interface BusinessCentralOptions {
  /** The connector's name in `describe()`. Default `businesscentral`. */
  readonly name?: string;
  /** The API root, `https://api.businesscentral.dynamics.com/v2.0/<tenant>/<environment>/api/v2.0`. */
  readonly apiRoot: string;
  /** The company's `id` (GUID), as `GET …/companies` lists it. */
  readonly companyId: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Default `https://api.businesscentral.dynamics.com/.default`. */
  readonly scope?: string;
  /** Code of the customer payment journal whose lines are read as payments (`customerPayments`). */
  readonly paymentJournal?: string;
  /** Records written per `$batch`; default and most 100 (BC's limit of operations per batch). */
  readonly batchSize?: number;
  readonly timeoutMs?: number;
  readonly fetch?: FetchLike;
}

/** Entra ID error codes worth a hint (AADSTS…, Microsoft Entra authentication and authorization error codes). */
const AADSTS_HINTS: Readonly<Record<number, string>> = {
  90002: 'tenantId names no Microsoft Entra tenant',
  900023: 'tenantId is not a tenant id or domain name',
  700016: 'no application with this client id (clientIdEnv) is registered in the tenant',
  7000215: 'the client secret (clientSecretEnv) is wrong',
  7000222: 'the client secret (clientSecretEnv) has expired',
  500011: 'Business Central is not set up in this tenant (the resource principal was not found)',
  65001: 'the application has no consent for Business Central (grant admin consent to API.ReadWrite.All)',
};

export function createBusinessCentralConnector(options: BusinessCentralOptions): Connector {
  const name = options.name ?? 'businesscentral';
  const batchSize = options.batchSize ?? BC_MAX_BATCH;
  const api = new BcApi({ ...options, scope: options.scope ?? BC_SCOPE });
  let closed = false;
  let journalId: Promise<string> | undefined;

  function entityOf(entity: string): BcEntity & { readonly name: BcEntityName } {
    if (closed) throw new ConnectorError('permanent', 'closed', `Connector ${name} is closed`);
    if (!isBcEntity(entity)) throw new ConnectorError('permanent', 'unknown_entity', `Connector ${name} has no entity ${entity} (it has ${BC_ENTITY_NAMES.join(', ')})`);
    return { ...BC_ENTITIES[entity], name: entity };
  }

  function unauthorized(error: HttpError): ConnectorError {
    const token = tokenProblem(error);
    // The token endpoint's own verdict (a passing `temporarily_unavailable` stays retryable).
    if (token !== undefined) return new ConnectorError(error.kind, 'unauthorized', `${name}: ${token}`, error.retryAfterMs);
    return error.httpStatus === 403
      ? new ConnectorError('permanent', 'forbidden', `${name}: ${toConnectorError(failureOf('the request', error)).message}; the application lacks a permission in Business Central (assign the permission sets the entities need)`)
      : new ConnectorError('permanent', 'unauthorized', `${name}: Business Central refused the application's token (${toConnectorError(failureOf('the request', error)).message}); register the Microsoft Entra application in Business Central and grant it permission sets`);
  }

  /** The token endpoint's refusal, with a hint for the Entra ID error code it gave. */
  function tokenProblem(error: HttpError): string | undefined {
    if (typeof (error.body as { error?: unknown } | undefined)?.error !== 'string') return undefined;
    const hints = aadstsCodes(error.body).flatMap((c) => (AADSTS_HINTS[c] === undefined ? [] : [AADSTS_HINTS[c]]));
    return `${error.message}${hints.length === 0 ? '' : `: ${hints.join('; ')}`}`;
  }

  /** The path of an entity set; customer payments live below their journal (BC refuses them without one). */
  async function pathOf(def: BcEntity & { readonly name: BcEntityName }): Promise<string> {
    if (def.name !== 'customerPayments') return api.company(def.set);
    if (options.paymentJournal === undefined) throw new ConnectorError('permanent', 'no_payment_journal', `${name} reads customerPayments from one customer payment journal: set paymentJournal to its code`);
    journalId ??= api
      .all(`${api.company('customerPaymentJournals')}${odataQuery({ $filter: `code eq ${odataString(options.paymentJournal)}` })}`, 'customerPaymentJournals lookup')
      .then((rows) => {
        const id = rows[0]?.['id'];
        if (rows.length !== 1 || typeof id !== 'string') throw new ConnectorError('permanent', 'unknown_journal', `${name}: paymentJournal names no customer payment journal of the company`);
        return id;
      })
      .catch((error: unknown) => {
        journalId = undefined;
        throw error;
      });
    return api.company(`customerPaymentJournals(${await journalId})/customerPayments`);
  }

  /** Any failure of a request as the contract's ConnectorError; refused credentials say how to fix them. */
  function asConnectorError(what: string, error: unknown): ConnectorError {
    if (isAuthFailure(error)) return unauthorized(error);
    return toConnectorError(failureOf(what, error));
  }

  async function read(entity: string, cursor: string | null, limit: number): Promise<ReadPage> {
    const def = entityOf(entity);
    try {
      if (def.read === 'ledger') return await readLedger(api, `${entity} read`, cursor, limit);
      return await readModified(api, `${entity} read`, await pathOf(def), def, cursor, limit);
    } catch (error) {
      throw asConnectorError(`${name} ${entity} read`, error);
    }
  }

  async function upsert(entity: string, requests: readonly UpsertRequest[]): Promise<RecordOutcome[]> {
    const def = entityOf(entity);
    const write = def.write;
    if (write === undefined) throw new ConnectorError('permanent', 'not_writable', `${name} ${entity} cannot be written`);
    try {
      return await upsertRecords({ api, path: api.company(def.set), entity, def: { ...def, write }, batchSize }, requests);
    } catch (error) {
      throw asConnectorError(`${name} ${entity} upsert`, error);
    }
  }

  async function check(): Promise<void> {
    if (closed) throw new ConnectorError('permanent', 'closed', `Connector ${name} is closed`);
    try {
      const company = await api.get(api.company());
      if (typeof (company.body as { id?: unknown } | undefined)?.id !== 'string') throw new ConnectorError('permanent', 'not_business_central', `${name}: the API root answered the company without an id; is baseUrl a Business Central API v2.0 root?`);
    } catch (error) {
      if (error instanceof HttpError && error.httpStatus === 404) {
        // Is the API root right and only the company unknown?
        const listed = await api.page('companies', 'companies').catch(() => undefined);
        if (listed !== undefined) throw new ConnectorError('permanent', 'unknown_company', `${name}: companyId names none of the ${listed.records.length} companies of this environment (GET companies lists them)`);
        throw new ConnectorError('permanent', 'not_found', `${name}: the API root answered 404: check baseUrl, or tenantId and environment (it should end in /api/v2.0)`);
      }
      if (error instanceof HttpError && error.code === 'connector_invalid_response') throw new ConnectorError('permanent', 'not_business_central', `${name}: the API root answered something that is not JSON; is baseUrl a Business Central API v2.0 root?`);
      throw error instanceof ConnectorError && !(error instanceof HttpError) ? error : asConnectorError(`${name} check`, error);
    }
  }

  const description: ConnectorDescription = Object.freeze({
    connector: name,
    entities: Object.freeze(
      Object.fromEntries(
        BC_ENTITY_NAMES.map((entity): [string, EntityCapabilities] => {
          const def = BC_ENTITIES[entity];
          return [
            entity,
            Object.freeze({
              read: true,
              write: def.write !== undefined,
              detectChanges: true,
              detectDeletes: def.deleted !== undefined,
              naturalKeys: Object.freeze([...def.naturalKeys]),
              ...(def.write === undefined ? {} : { createRetry: def.write.createRetry, upsertKey: def.write.key }),
            }),
          ];
        }),
      ),
    ),
  });

  return {
    describe: () => description,
    check,
    read,
    cursorSince: (entity, since) => cursorSince(entityOf(entity), since),
    upsert,
    keyOf(entity: string, record: ExternalRecord): string {
      entityOf(entity);
      const id = record['id'];
      if (typeof id !== 'string' || id === '') throw new ConnectorError('permanent', 'invalid_record', `${name} ${entity} record lacks id`);
      return id;
    },
    isDeleted: (entity, record) => entityOf(entity).deleted?.(record) ?? false,
    async close() {
      // The HTTP client holds no connection of its own; closing stops use.
      closed = true;
    },
  };
}
