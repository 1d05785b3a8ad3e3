import type { Context, Scenario } from './scenario.js';
import { sleep } from './services.js';

/**
 * The fault scenarios. Each starts from the standard load (a backfill of every ERP row into the hub
 * and on to the target, the ERP changing names, API writers PATCHing phones of a hot set of records)
 * unless it says otherwise, injects its fault, and returns with the load stopped; the runner then
 * waits for convergence and compares.
 */

/** Kills (`signal`) one worker `times` times, `gapMs` apart, each replaced at once. */
async function killWorkers(ctx: Context, times: number, gapMs: number, signal: NodeJS.Signals, when: string): Promise<void> {
  for (let i = 0; i < times; i++) {
    const victim = ctx.hub.running('worker')[0];
    if (!victim) break;
    const run = await ctx.run().catch(() => undefined);
    ctx.note(`${signal} ${victim.name} ${when} (run ${run?.state} ${run?.done}/${run?.total}, target ${ctx.target.byCode.size} docs)`);
    await ctx.fault(`${signal} ${victim.name}`, () => ctx.replaceWorker(victim, signal));
    await sleep(gapMs);
  }
}

/** Lets the load run until the backfill is done and the target has `share` of the records. */
async function loadUntil(ctx: Context, share: number): Promise<void> {
  await ctx.runAt(1);
  await ctx.targetAt(share);
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'worker-kill-backfill',
    summary: 'a worker SIGKILLed three times while the inbound backfill runs (mid-page), each replaced at once',
    visibility: 'informational',
    async run(ctx) {
      await ctx.startLoad();
      await ctx.runAt(0.15);
      await killWorkers(ctx, 3, 1500, 'SIGKILL', 'mid-backfill');
      await loadUntil(ctx, 0.9);
    },
  },
];

export function selectScenarios(names: readonly string[]): Scenario[] {
  if (names.length === 0) return [...SCENARIOS];
  const picked = SCENARIOS.filter((s) => names.some((n) => s.name === n || s.name.startsWith(n) || s.name.includes(n)));
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n || s.name.startsWith(n) || s.name.includes(n)));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return picked;
}
