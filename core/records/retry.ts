import { setTimeout as sleep } from 'node:timers/promises';
import { HubError, WriteRaceError } from '../errors.js';

/** How many times an unconditional write is tried before the hub gives up (default 20). */
export const WRITE_ATTEMPTS = 20;

/** Concurrent writers kept a record busy for every attempt: try again shortly (503, Retry-After). */
export class WriteContentionError extends HubError {
  constructor() {
    super('write_contention', 503, 'The record is being changed by many requests at once; try again', [], { 'Retry-After': '1' });
  }
}

/** MariaDB / MySQL deadlock or lock wait timeout: the transaction was rolled back whole and may run again. */
function isDeadlock(error: unknown): boolean {
  const e = error as { errno?: unknown; code?: unknown } | null;
  return !!e && typeof e === 'object' && (e.errno === 1213 || e.errno === 1205 || e.code === 'ER_LOCK_DEADLOCK' || e.code === 'ER_LOCK_WAIT_TIMEOUT');
}

/**
 * Runs `attempt` (a whole transaction: read, check, conditional write) again when it lost a race.
 * A write without `If-Match` means "apply to the latest version", so losing the optimistic race is
 * the hub's business, not the caller's: each retry re-reads the record in a new transaction, so the
 * policy and model checks are evaluated against the fresh state. With `If-Match` (`conditional`) a
 * lost race is a stale tag and stays a 412. A deadlock rolled everything back and is retried either way.
 */
export async function retryLostRaces<T>(conditional: boolean, attempt: () => Promise<T>, attempts = WRITE_ATTEMPTS): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      const retryable = (error instanceof WriteRaceError && !conditional) || isDeadlock(error);
      if (!retryable) throw error;
      if (i >= attempts) throw new WriteContentionError();
      // A little jitter spreads the writers that lost together, so the next round has one winner less.
      await sleep(Math.random() * Math.min(50, 2 ** i));
    }
  }
}
