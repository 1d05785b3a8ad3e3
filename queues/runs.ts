import type { SyncRun } from '../core/store/runs-repository.js';
import type { Store } from '../core/store/store.js';

/** A queued or running run whose record has not moved for this long is shown as stalled (ms). */
export const RUN_STALL_MS = 60_000;

export interface RunView extends SyncRun {
  /** Queued or running, and no progress for {@link RUN_STALL_MS}: its worker died, or it waits on a fault. */
  readonly stalled: boolean;
  readonly progress: { readonly done: number; readonly total: number | null; readonly percent: number | null; readonly recordsPerSecond: number | null; readonly etaSeconds: number | null };
}

/** A run with its progress: done, total, percent, records per second and time left. */
export function withProgress(run: SyncRun): RunView {
  const start = run.startedAt ? Date.parse(run.startedAt) : null;
  const end = run.finishedAt ? Date.parse(run.finishedAt) : Date.now();
  const seconds = start === null ? null : Math.max(0.001, (end - start) / 1000);
  const rate = seconds === null || run.done === 0 ? null : Math.round((run.done / seconds) * 10) / 10;
  const total = run.total === null ? null : Math.max(run.total, run.done);
  const eta = run.state === 'done' ? 0 : total !== null && rate ? Math.round((total - run.done) / rate) : null;
  const stalled = (run.state === 'queued' || run.state === 'running') && Date.now() - Date.parse(run.updatedAt) > RUN_STALL_MS;
  return { ...run, stalled, progress: { done: run.done, total, percent: total ? Math.min(100, Math.round((run.done / total) * 1000) / 10) : run.state === 'done' ? 100 : null, recordsPerSecond: rate, etaSeconds: eta } };
}

/** A run with its progress, or undefined when there is none with that id. */
export async function runView(runs: Store['runs'], id: string): Promise<RunView | undefined> {
  const run = await runs.get(id);
  return run ? withProgress(run) : undefined;
}
