import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HUB_BIN } from './hub.js';
import { scenarioTable } from './report.js';
import { runScenario, Services } from './scenario.js';
import { selectScenarios } from './scenarios.js';
import { killAll } from './services.js';

/**
 * The bounded part of the fault suite (`npm run faults` is the full one): a few small scenarios on
 * private MariaDB and Redis servers this file starts and stops, each failing when a record is lost,
 * duplicated or stale at the end, when an unexpected dead letter stays open, or when a fault that
 * must be visible did not show in the status API, readyz or the metrics. 300 records each.
 */

/** The run size: these scenarios carry a tenth of it, 300 records each. */
const RECORDS = 3000;
const BOUNDED = ['worker-kill-delivery', 'store-outage-kill', 'target-write-faults', 'cold-start'] as const;

describe.sequential('fault suite, bounded part (private MariaDB and Redis; hub processes from dist/)', () => {
  const root = mkdtempSync(join(tmpdir(), 'hub-faults-vitest-'));
  const services = new Services(root);
  let failed = false;

  beforeAll(async () => {
    if (!existsSync(HUB_BIN)) throw new Error(`no built CLI at ${HUB_BIN}: run npm run build`);
    await services.start();
  }, 90_000);

  afterAll(async () => {
    await services.stop().catch(() => undefined);
    killAll();
    // Keep the logs of a failed run (the path is in the failure message).
    if (!failed) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  for (const scenario of selectScenarios(BOUNDED)) {
    it(`${scenario.name}: ${scenario.summary}`, async () => {
      const lines: string[] = [];
      const result = await runScenario(services, scenario, { records: RECORDS, root, convergeMs: 60_000, stuckMs: 20_000, log: (l) => lines.push(l) });
      const table = scenarioTable(result);
      process.stdout.write(`${table}\n`);
      if (result.failures.length) failed = true;
      expect(result.failures, `${table}\n${result.notes.join('\n')}`).toEqual([]);
    }, 150_000);
  }
});
