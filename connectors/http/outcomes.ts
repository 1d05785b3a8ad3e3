import { ConnectorError, type RecordOutcome } from '../contract.js';
import { HttpError } from './client.js';

/**
 * Per-record outcomes of a connector that writes record by record: a record's own failure is its
 * outcome, and only what concerns the whole connector (refused credentials) stops the batch.
 */

/** A failure in the contract's per-record terms (a non-ConnectorError is an unexpected, retryable one). */
export function failedOutcome(error: unknown): RecordOutcome {
  if (error instanceof ConnectorError) {
    const code = error.code.replace(/^connector_/, '');
    return error.retryAfterMs === undefined
      ? { ok: false, kind: error.kind, code, message: error.message }
      : { ok: false, kind: error.kind, code, message: error.message, retryAfterMs: error.retryAfterMs };
  }
  return { ok: false, kind: 'retryable', code: 'internal', message: 'Unexpected failure while sending the record' };
}

/**
 * A 401: the system refused the credentials themselves, for every record alike. A 403 is not: the user
 * may lack a permission on one document (Frappe's PermissionError for a record its user permissions
 * exclude), so it is that record's permanent failure.
 */
export function credentialsRefused(error: unknown): error is HttpError {
  return error instanceof HttpError && error.httpStatus === 401;
}

export function unauthorizedError(connector: string, error: HttpError): ConnectorError {
  return new ConnectorError('permanent', 'unauthorized', `${connector} refused the configured credentials (HTTP ${error.httpStatus ?? '?'})`);
}

/** How {@link sendEach} reads what a send threw. */
export interface SendEachOptions<T> {
  /** The outcome of the item whose send threw. Default {@link failedOutcome}. */
  readonly failed?: (error: unknown, item: T) => RecordOutcome;
  /**
   * The connector's own failure a thrown error stands for (refused credentials, a login the system
   * refuses): it concerns every item alike. Default: a 401 as {@link unauthorizedError}.
   */
  readonly connectorWide?: (error: unknown) => ConnectorError | undefined;
}

/**
 * Sends items one by one, one outcome each, in order. A retryable failure (throttled, unreachable)
 * stops the batch: the rest are reported the same without being sent (`attempted: false`: their retry
 * spends no attempt), since they would meet the same answer. A failure of the connector itself throws
 * when nothing was sent yet; after a record was sent, the outcomes so far are kept and the rest are
 * reported retryable with that failure, not sent, so no result of a record already written is lost.
 */
export async function sendEach<T>(connector: string, items: readonly T[], send: (item: T) => Promise<RecordOutcome>, options: SendEachOptions<T> = {}): Promise<RecordOutcome[]> {
  const failed = options.failed ?? failedOutcome;
  const connectorWide = options.connectorWide ?? ((error: unknown) => (credentialsRefused(error) ? unauthorizedError(connector, error) : undefined));
  const outcomes: RecordOutcome[] = [];
  for (const item of items) {
    const previous = outcomes.at(-1);
    if (previous !== undefined && !previous.ok && previous.kind === 'retryable') {
      outcomes.push({ ...previous, attempted: false });
      continue;
    }
    try {
      outcomes.push(await send(item));
    } catch (error) {
      const wide = connectorWide(error);
      if (wide === undefined) {
        outcomes.push(failed(error, item));
        continue;
      }
      if (outcomes.length === 0) throw wide;
      outcomes.push({ ok: false, kind: 'retryable', code: wide.code.replace(/^connector_/, ''), message: wide.message, attempted: false });
    }
  }
  return outcomes;
}
