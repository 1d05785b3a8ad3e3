#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { ConfigError, HubError } from '../errors.js';
import { formatConfigError, loadConfig } from '../config/load.js';
import { createHub, type Hub } from '../hub.js';
import { Store } from '../store/store.js';

const USAGE = `Usage: hub <command>

Commands:
  serve     start the API (and, in one process, the workers) on HUB_HOST:HUB_PORT;
            --no-workers: the API only
  worker    run the background workers only (for several-process setups)
  migrate   bring the store's schema up to date and exit
  policy check [--file <policy.yaml>]
            check a permission policy (default: the configured one) and print, for every
            receiver × entity × field, the decision; exits 1 on an invalid policy
  mapping list
            list the loaded mappings (after checking all of them)
  mapping preview <mapping> <record-id|file.json>
            map a stored record (by id) or a sample record (JSON file) as delivery would:
            projected for the target, then mapped; prints the payload and what the policy removed
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
      // --no-workers: the API only (workers run elsewhere with `hub worker`).
      const hub = createHub({ runWorkers: !argv.includes('--no-workers') });
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
    case 'mapping': {
      const sub = argv[1];
      if (sub !== 'list' && sub !== 'preview') {
        process.stderr.write('hub: usage: hub mapping list | hub mapping preview <mapping> <record-id|file.json>\n');
        process.exit(2);
      }
      const hub = createHub({ runWorkers: false, logger: (await import('pino')).pino({ level: 'silent' }) });
      if (sub === 'list') {
        for (const m of hub.mappings.list()) process.stdout.write(`${m.name}\t${m.direction}\t${m.entity} ⇄ ${m.connector} ${m.externalEntity}\t${m.target}\n`);
        return;
      }
      const [name, ref] = [argv[2], argv[3]];
      const mapping = name ? hub.mappings.get(name) : undefined;
      if (!mapping || !ref) {
        process.stderr.write(`hub: ${mapping ? 'give a record id or a JSON file' : `no mapping named ${name ?? '(none)'}; see hub mapping list`}\n`);
        process.exit(2);
      }
      const { existsSync, readFileSync } = await import('node:fs');
      const input = existsSync(ref) ? { record: JSON.parse(readFileSync(ref, 'utf8')) as Record<string, never> } : { recordId: ref };
      const config = loadConfig();
      const store = await Store.open(config.db, config.dataDir);
      try {
        const { previewMapping } = await import('../../mappings/engine/preview.js');
        const result = await previewMapping(mapping, input, { store, policy: hub.policy, catalog: hub.catalog });
        process.stdout.write(JSON.stringify(result.payload, null, 2) + '\n');
        for (const p of result.policy) process.stderr.write(`policy: ${p.field} ${p.action === 'deny' ? 'removed' : p.action + 'ed'} by ${p.rule}\n`);
        for (const u of result.unlinked) process.stderr.write(`unlinked: ${u} has no id link in ${mapping.connector} yet\n`);
      } finally {
        await store.close();
      }
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
