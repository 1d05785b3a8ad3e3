import { HubError } from '../core/errors.js';
import type { MappedPayload } from '../core/model/mapped.js';

/**
 * The connector contract: small, and the same for every external system. A connector gets its
 * driver or HTTP client from outside, owns its connections, and only ever receives payloads that
 * were projected for its target and then mapped (it never sees an unprojected record).
 */

/** A record in the external system's own shape. */
export type ExternalRecord = Readonly<Record<string, unknown>>;

export interface EntityCapabilities {
  readonly read: boolean;
  readonly write: boolean;
  /** Can list changes since a cursor (modified-since with a tie-breaker). */
  readonly detectChanges: boolean;
  /** Can tell which records were deleted. */
  readonly detectDeletes: boolean;
  /** External fields a first contact can match on (customer number, tax id, sku …). */
  readonly naturalKeys: readonly string[];
  /**
   * How a retried create finds what an earlier try made, when its answer was lost (a timeout, a reset
   * after the write, a garbled answer): `key`, the payload's `upsertKey` addresses the record (an upsert
   * by key); `lookup`, the system names records itself but the connector first looks for one holding
   * the payload's `lookupField`; `none`, the system names records itself and nothing finds them, so a
   * lost answer makes a duplicate. Absent for a read-only entity.
   */
  readonly createRetry?: 'key' | 'lookup' | 'none';
  /** The payload field an upsert addresses a record by (`key`), or that the lookup searches (`lookup`). */
  readonly upsertKey?: string;
}

export interface ConnectorDescription {
  readonly connector: string;
  /** By external entity name (as in the connector schema: `Customer`, `customers` …). */
  readonly entities: Readonly<Record<string, EntityCapabilities>>;
}

export interface ReadPage {
  readonly records: readonly ExternalRecord[];
  /** Opaque cursor for the next page; null when the source has nothing newer. */
  readonly cursor: string | null;
}

/** One record to create or update, by external key. */
export interface UpsertRequest {
  /** The hub id, for the caller's bookkeeping (id links); connectors do not send it. */
  readonly hubId: string;
  /**
   * The mapped payload: made only by an outbound mapping from a record the policy projected for
   * this target (the type has no other source), so nothing unprojected reaches a connector.
   */
  readonly payload: MappedPayload;
  /**
   * The external id the hub linked this record to in the system, when it was delivered (or read)
   * before: where the system names records itself (a naming series), the payload cannot carry it,
   * and an update must go to this id rather than create a second record.
   */
  readonly externalId?: string;
}

export const FAILURE_KINDS = ['retryable', 'permanent'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** Per-record outcome of an upsert or delete, in the order of the request. */
export type RecordOutcome =
  | { readonly ok: true; readonly externalId: string }
  | {
      readonly ok: false;
      readonly kind: FailureKind;
      readonly code: string;
      readonly message: string;
      readonly retryAfterMs?: number;
      /**
       * False when the connector did not send the record at all (an earlier record of the batch met a
       * retryable failure that the rest would meet too): the record did not fail, so a retry of it
       * spends none of its attempts. Absent means it was sent.
       */
      readonly attempted?: false;
    };

/** A webhook call as the hub received it, for a connector to verify and read. */
export interface WebhookRequest {
  /** Every request header, by lower-case name (repeated headers joined with `, `). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body's exact bytes (signatures are computed over them). */
  readonly body: Buffer;
  /** The source's webhook secret (`webhookSecretEnv`). */
  readonly secret: string;
}

/** What a verified webhook call carries: records of one external entity, in the system's own shape. */
export interface WebhookDelivery {
  /** The external entity name (as in the connector schema: `Customer`, `customers` …). */
  readonly entity: string;
  readonly records: ExternalRecord[];
}

export interface Connector {
  describe(): ConnectorDescription;
  /** Resolves when the system is reachable with the configured credentials; throws a ConnectorError if not. */
  check(): Promise<void>;
  /** A page of records changed after `cursor` (null: from the beginning), oldest first. */
  read(entity: string, cursor: string | null, limit: number): Promise<ReadPage>;
  /**
   * A cursor from which `read()` returns the records changed at or after `since` (an ISO date-time),
   * for backfills that start at a point in time; absent when the system cannot say.
   */
  cursorSince?(entity: string, since: string): string;
  /** Creates or updates by external key, idempotently; one outcome per request. */
  upsert(entity: string, records: readonly UpsertRequest[]): Promise<RecordOutcome[]>;
  /**
   * The external id of a record returned by `read()`: the same string `upsert()` reports as
   * `externalId` for that record, so a read can be linked to the hub id without a write. Throws a
   * permanent `invalid_record` ConnectorError naming the missing field (never a value).
   */
  keyOf(entity: string, record: ExternalRecord): string;
  /**
   * True when a record returned by `read()` marks a deletion (a soft-deleted row: the entity's
   * deleted flag is set). Absent, or false for every record, when the system does not report deletes.
   */
  isDeleted?(entity: string, record: ExternalRecord): boolean;
  /**
   * How many records a read from `cursor` (null: from the beginning) would still return, for a
   * backfill's progress and ETA; an overlap re-read is not counted. Absent when the system cannot tell.
   */
  count?(entity: string, cursor: string | null): Promise<number>;
  /** Deletes by external id where the system allows it. */
  delete?(entity: string, externalIds: readonly string[]): Promise<RecordOutcome[]>;
  /**
   * Verifies and reads a notification in the system's own webhook format (its signature header, its
   * body). Throws a HubError with status 401 naming the signature header when the signature is missing
   * or wrong, and an UnprocessableError (422) naming each problem of a body it cannot read. Absent: the
   * hub's generic webhook applies (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, body
   * `{ entity, records }`).
   */
  webhook?(request: WebhookRequest): WebhookDelivery;
  /** Releases connections the connector owns. */
  close(): Promise<void>;
}

/**
 * A connector-level failure (unreachable, unauthorised, throttled). `retryable` tells the queue
 * layer whether to back off and retry or to give up; messages name no secret and no record value.
 */
export class ConnectorError extends HubError {
  constructor(
    readonly kind: FailureKind,
    code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(`connector_${code}`, kind === 'retryable' ? 503 : 502, message);
  }
}

/** A deleted flag's value read as a boolean: true, 1, '1', 'true', 'y', 'yes' or a bit set (BIT(1) as a Buffer). */
export function flagSet(value: unknown): boolean {
  if (value === true || value === 1 || value === 1n) return true;
  if (typeof value === 'string') return ['1', 'true', 'y', 'yes'].includes(value.trim().toLowerCase());
  if (Buffer.isBuffer(value)) return value.some((b) => b !== 0);
  return false;
}
