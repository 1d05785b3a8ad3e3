import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Store } from '../core/store/store.js';

export const MAINTENANCE_QUEUE = 'maintenance';

/** How long a remembered Idempotency-Key answer is kept. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

export interface MaintenanceHandle {
  close(): Promise<void>;
}

/** One maintenance pass: expired login sessions and old idempotency records go. */
export async function runMaintenance(store: Store, now = new Date()): Promise<{ sessions: number; idempotencyKeys: number }> {
  const sessions = await store.auth.purgeExpiredSessions(now.toISOString());
  const idempotencyKeys = await store.idempotency.purgeOlderThan(new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString());
  return { sessions, idempotencyKeys };
}

/**
 * Schedules the maintenance job (a BullMQ job scheduler, so one run per interval across all
 * processes) and works it. Runs in `hub worker` and, in the one-process setup, in `hub serve`.
 */
export async function startMaintenance(connection: ConnectionOptions, prefix: string, store: Store, log: Logger, everyMs = 10 * 60 * 1000): Promise<MaintenanceHandle> {
  const queue = new Queue(MAINTENANCE_QUEUE, { connection, prefix });
  await queue.upsertJobScheduler('purge', { every: everyMs }, { name: 'purge', opts: { removeOnComplete: 100, removeOnFail: 100 } });
  const worker = new Worker(
    MAINTENANCE_QUEUE,
    async () => {
      const result = await runMaintenance(store);
      log.info(result, 'maintenance: purged expired sessions and idempotency records');
      return result;
    },
    { connection, prefix, concurrency: 1 },
  );
  worker.on('error', (error) => log.warn({ err: { message: error.message } }, 'maintenance worker error'));
  return {
    close: async () => {
      await worker.close();
      await queue.close();
    },
  };
}
