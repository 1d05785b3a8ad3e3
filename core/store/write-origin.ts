import { AsyncLocalStorage } from 'node:async_hooks';

/** Who is writing: the system a change comes from (`hub` for the API and web UI) and the job or request. */
export interface WriteOrigin {
  readonly system: string;
  /** The sync job, backfill run or API request behind the write (for lineage). */
  readonly job?: string;
}

const origin = new AsyncLocalStorage<WriteOrigin>();

/** Runs `fn` with writes attributed to `who`: the outbox row and the field lineage carry it. */
export function withWriteOrigin<T>(who: WriteOrigin, fn: () => T): T {
  return origin.run(who, fn);
}

/** The current writer; the hub's own CRM unless a sync job said otherwise. */
export function currentWriteOrigin(): WriteOrigin {
  return origin.getStore() ?? { system: 'hub' };
}
