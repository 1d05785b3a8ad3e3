/**
 * The fault suite's runner: `npm run faults [-- <scenario>…] [--records N] [--converge-seconds S] [--keep]`.
 * Starts private MariaDB (hub store; ERP) and Redis servers under a fresh directory, runs the chosen
 * scenarios (all by default; a name selects every scenario it starts with or contains), prints a table
 * per scenario and a summary, writes results.json, and exits 1 if any scenario failed.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HUB_BIN } from './hub.js';
import { scenarioTable, summaryTable } from './report.js';
import { runScenario, Services, type ScenarioResult } from './scenario.js';
import { selectScenarios } from './scenarios.js';
import { forgetAll, killAll } from './services.js';

function parse(argv: string[]): { names: string[]; records: number; convergeMs: number; keep: boolean } {
  const names: string[] = [];
  let records = 20_000;
  let convergeMs = 240_000;
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--records') records = Number(argv[++i]);
    else if (a.startsWith('--records=')) records = Number(a.slice(10));
    else if (a === '--converge-seconds') convergeMs = Number(argv[++i]) * 1000;
    else if (a === '--keep') keep = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run faults -- [scenario…] [--records N] [--converge-seconds S] [--keep]\n');
      process.exit(0);
    } else names.push(a);
  }
  if (!Number.isInteger(records) || records < 50) throw new Error('--records must be an integer ≥ 50');
  return { names, records, convergeMs, keep };
}

async function main(): Promise<number> {
  const options = parse(process.argv.slice(2));
  const scenarios = selectScenarios(options.names);
  if (!existsSync(HUB_BIN)) throw new Error(`no built CLI at ${HUB_BIN}: run npm run build`);
  const root = mkdtempSync(join(tmpdir(), 'hub-faults-'));
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`fault suite: ${scenarios.map((s) => s.name).join(', ')}; ${options.records} records; run directory ${root}`);
  const services = new Services(root);
  const results: ScenarioResult[] = [];
  const started = Date.now();
  try {
    await services.start();
    log(`private services: store MariaDB :${services.store.port}, ERP MariaDB :${services.erp.port}`);
    for (const scenario of scenarios) {
      const result = await runScenario(services, scenario, { records: options.records, root, convergeMs: options.convergeMs, log, keep: options.keep });
      results.push(result);
      log(scenarioTable(result));
      writeFileSync(join(root, 'results.json'), JSON.stringify({ records: options.records, results }, null, 2));
    }
  } finally {
    if (options.keep && process.env['FAULTS_KEEP_SERVERS'] === '1') {
      log(`servers left running (FAULTS_KEEP_SERVERS=1): store :${services.store.port}, ERP :${services.erp.port}`);
      forgetAll();
    }
    else {
      await services.stop().catch(() => undefined);
      killAll();
    }
  }
  log(`\n== summary (${((Date.now() - started) / 60_000).toFixed(1)} min)\n${summaryTable(results)}`);
  log(`results: ${join(root, 'results.json')}; logs under ${root}`);
  const failed = results.filter((r) => r.failures.length > 0).length;
  if (!options.keep && failed === 0) {
    // Keep the JSON and the logs, drop the servers' data folders.
    for (const d of ['store-mariadb', 'erp-mariadb', 'redis', 'redis-aof']) rmSync(join(root, d), { recursive: true, force: true });
  }
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`faults: ${(error as Error).stack ?? String(error)}\n`);
    killAll();
    process.exit(2);
  },
);
