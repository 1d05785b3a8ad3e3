#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { ConfigError, HubError } from '../errors.js';
import { formatConfigError, loadConfig } from '../config/load.js';
import { createHub, type Hub } from '../hub.js';
import { Store } from '../store/store.js';

const USAGE = `Usage: hub <command>

Commands:
  serve     start the API (and, in one process, the workers) on HUB_HOST:HUB_PORT
  worker    run the background workers only (for several-process setups)
  migrate   bring the store's schema up to date and exit
  policy check [--file <policy.yaml>]
            check a permission policy (default: the configured one) and print, for every
            receiver × entity × field, the decision; exits 1 on an invalid policy
  help      show this text

Environment: HUB_PORT (8080), HUB_HOST (127.0.0.1), HUB_DB (embedded SQLite under HUB_DATA_DIR),
HUB_DATA_DIR (./data), REDIS_URL (redis://127.0.0.1:6379), HUB_CONFIG (./hub.config.yaml),
HUB_ADMIN_PASSWORD, HUB_DEMO=1 (load demo data).`;

function fail(error: unknown): never {
  if (error instanceof ConfigError) process.stderr.write(formatConfigError(error) + '\n');
  else if (error instanceof HubError) process.stderr.write(`hub: ${error.message}\n`);
  else process.stderr.write(`hub: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
}

function stopOnSignals(hub: Hub): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`hub: ${signal} received, stopping\n`);
    hub.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(argv: string[]): Promise<void> {
  const command = argv[0] ?? 'help';
  switch (command) {
    case 'serve': {
      const hub = createHub();
      stopOnSignals(hub);
      await hub.start();
      const { url } = await hub.listen();
      process.stderr.write(`hub: serving on ${url} (API ${url}/api/v1, docs ${url}/docs/)\n`);
      return;
    }
    case 'worker': {
      const hub = createHub();
      stopOnSignals(hub);
      await hub.start();
      process.stderr.write('hub: worker running\n');
      return;
    }
    case 'migrate': {
      const config = loadConfig();
      const store = await Store.open(config.db, config.dataDir, { migrate: false });
      const applied = await store.migrate();
      await store.close();
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the schema is up to date\n');
      return;
    }
    case 'policy': {
      if (argv[1] !== 'check') {
        process.stderr.write(`hub: usage: hub policy check [--file <policy.yaml>]\n`);
        process.exit(2);
      }
      const fileIndex = argv.indexOf('--file');
      const config = loadConfig();
      const file = fileIndex > 0 ? argv[fileIndex + 1] : config.file.policy.file;
      const { fieldCatalog } = await import('../../openapi/app/catalog.js');
      const { loadSpec } = await import('../../openapi/app/spec.js');
      const { loadPolicyFile, DEFAULT_POLICY_PATH } = await import('../policy/load.js');
      const { formatMatrix } = await import('../policy/matrix.js');
      const catalog = fieldCatalog(loadSpec().document);
      // Checking needs no real hash key; the matrix shows decisions, not values.
      const engine = loadPolicyFile(file, catalog, randomBytes(32));
      process.stdout.write(formatMatrix(engine, catalog) + '\n');
      process.stderr.write(`hub: policy ${file ?? DEFAULT_POLICY_PATH} is valid (${engine.receivers().length} receivers)\n`);
      return;
    }
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n');
      return;
    default:
      process.stderr.write(`hub: unknown command "${command}"\n\n${USAGE}\n`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch(fail);
