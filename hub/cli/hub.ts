#!/usr/bin/env node
// The entry point loads only what a command needs: `hub help` loads nothing, `policy check` and
// `mapping` no store or Redis, `dlq`, `conflicts` and `connectors status` no workers, relay or HTTP.
import { ConfigError, HubError } from '../../core/errors.js';
import type { Hub } from '../create-hub.js';
import { parseArgs, UsageError } from './args.js';

const USAGE = `Usage: hub <command>

Commands:
  serve [--no-workers]
            start the API (and, in one process, the workers) on HUB_HOST:HUB_PORT;
            --no-workers: the API only
  worker    run the background workers only (for several-process setups)
  migrate   bring the store's schema up to date and exit
  policy check [--file <policy.yaml>] [--role <role>]
            check a permission policy (default: the configured one) and print, for every
            receiver × entity × field (or one role's), the decision; exits 1 on an invalid policy
  mapping list
            list the loaded mappings (after checking all of them)
  mapping preview <mapping> <record-id|file.json>
            map a stored record (by id) or a sample record (JSON file) as delivery would:
            projected for the target, then mapped; prints the payload and what the policy removed
  dlq list [--target T] [--entity E] [--state open|replayed|discarded|delivered] [--limit N] [--json]
            list dead letters (default: open ones, oldest first)
  dlq replay <id…> | --all [--target T] [--entity E] [--code C]
            replay dead letters by id, or every open one the filter selects
  dlq discard <id…>
            mark dead letters discarded
  backfill <connector> <entity> [--since ISO] [--direction in|out] [--detach]
            start a backfill and watch its progress (Ctrl-C cancels it); with --detach, print the
            run id and exit. The run is carried out by the workers (hub serve or hub worker)
  backfill --cancel <run-id>
            cancel a queued or running backfill
  connectors status [--json]
            per connector and entity: state, breaker, queue depths, lag, counts, last error code
  connectors check [name…]
            try each configured connector's (or the named ones') connection and credentials;
            exits 1 if any fails
  conflicts list [--state open|resolved] [--entity E] [--limit N] [--json]
            list the conflict inbox (default: open conflicts)
  conflicts resolve <id> --pick hub|system|value [--value JSON]
            keep the hub's value, take the system's, or set a value of your own
  feed run <feed> [--out <dir>] [--as-of YYYY-MM-DD]
            run a receivables feed now: write, sign and archive its files (next sequence
            number), deliver them as configured, and with --out copy them into <dir>
  feed list [--json]
            the configured feeds and their latest runs
  feed deliver <feed> <sequence> [--out <dir>]
            deliver an archived run again (the same bytes), as configured or into <dir>
  feed verify <file> [--key <public.pem>]
            check a feed file's .sig with the hub's public keys (or --key) and its SHA-256
            against the signed manifest beside it; given a manifest, every file it lists
  feed decrypt <file> --key <private.pem> --out <file>
            decrypt an encrypted feed file (the receiving side)
  keys public | keys rotate | keys list
            the feed signing key: print the current public key (PEM), make a new one
            (old ones stay listed for verification), list them
  help      show this text

Environment: HUB_PORT (8080), HUB_HOST (127.0.0.1), HUB_DB (embedded SQLite under HUB_DATA_DIR),
HUB_DATA_DIR (./data), REDIS_URL (redis://127.0.0.1:6379), HUB_CONFIG (./hub.config.yaml),
HUB_ADMIN_PASSWORD, HUB_DEMO=1 (load demo data).`;

function fail(error: unknown): never {
  if (error instanceof UsageError) {
    process.stderr.write(`hub: ${error.message}\n`);
    process.exit(2);
  }
  if (error instanceof ConfigError) process.stderr.write([error.message + ':', ...error.errors.map((p) => `  - ${p.pointer}: ${p.detail}`)].join('\n') + '\n');
  else if (error instanceof HubError) process.stderr.write(`hub: ${error.message}\n${error.errors.map((e) => `  ${e.pointer || '/'}: ${e.detail}\n`).join('')}`);
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

/** Runs a command; resolves with its exit code, or undefined for a long-running one (serve, worker). */
export async function main(argv: readonly string[]): Promise<number | undefined> {
  const command = argv[0] ?? 'help';
  const rest = argv.slice(1);
  switch (command) {
    case 'serve': {
      const a = parseArgs(rest, { flags: ['no-workers'] }, 'hub serve [--no-workers]');
      const { createHub } = await import('../create-hub.js');
      // Everything is checked when the hub is created; then the port is taken (a port in use fails
      // here, before the store or the first admin exist); then the store, Redis and workers start.
      // Until then the API answers 503.
      const hub = createHub({ runWorkers: !a.flags.has('no-workers') });
      stopOnSignals(hub);
      const { url } = await hub.listen();
      await hub.start();
      process.stderr.write(`hub: serving on ${url} (API ${url}/api/v1, docs ${url}/docs/)\n`);
      return undefined;
    }
    case 'worker': {
      parseArgs(rest, {}, 'hub worker');
      const { createHub } = await import('../create-hub.js');
      const hub = createHub({ serveApi: false });
      stopOnSignals(hub);
      await hub.start();
      process.stderr.write('hub: worker running\n');
      return undefined;
    }
    case 'migrate':
      return (await import('./config-commands.js')).migrateCommand(rest);
    case 'policy':
      return (await import('./config-commands.js')).policyCommand(rest);
    case 'mapping':
      return (await import('./config-commands.js')).mappingCommand(rest);
    case 'dlq':
      return (await import('./sync-commands.js')).dlqCommand(rest);
    case 'backfill':
      return (await import('./sync-commands.js')).backfillCommand(rest);
    case 'conflicts':
      return (await import('./conflicts.js')).conflictsCommand(rest);
    case 'connectors':
      return (await import('./connectors.js')).connectorsCommand(rest);
    case 'feed':
      return (await import('./feeds.js')).feedCommand(rest);
    case 'keys':
      return (await import('./keys.js')).keysCommand(rest);
    case 'help':
    case '--help':
    case '-h':
      parseArgs(rest, {}, 'hub help');
      process.stdout.write(USAGE + '\n');
      return 0;
    default:
      process.stderr.write(`hub: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

/** Exits once stdout and stderr have taken everything written (they are asynchronous on pipes). */
function exitFlushed(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

// One-shot commands exit explicitly: nothing they opened may keep the process alive.
main(process.argv.slice(2)).then((code) => {
  if (code !== undefined) exitFlushed(code);
}, fail);
