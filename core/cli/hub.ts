#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { ConfigError, HubError } from '../errors.js';
import { formatConfigError, loadConfig } from '../config/load.js';
import { createHub, type Hub } from '../hub.js';
import { Store } from '../store/store.js';
import { ENTITY_NAMES } from '../model/entities.js';
import type { DeadLetter, DeadLetterFilter, DeadLetterState } from '../store/dead-letters-repository.js';
import type { RunView } from '../../queues/engine.js';

/** A wrong command line: exit code 2 with the message. */
class UsageError extends Error {}

interface ParsedArgs {
  readonly positional: string[];
  readonly values: Map<string, string>;
  readonly flags: Set<string>;
}

/** Parses `--name value` options, `--flag` switches and positional arguments, refusing anything else. */
function parseArgs(argv: readonly string[], spec: { values: readonly string[]; flags: readonly string[] }, usage: string): ParsedArgs {
  const positional: string[] = [];
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (spec.flags.includes(name) && eq < 0) flags.add(name);
    else if (spec.values.includes(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value\nusage: ${usage}`);
      values.set(name, value);
    } else throw new UsageError(`unknown option ${arg}\nusage: ${usage}`);
  }
  return { positional, values, flags };
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], what: string, usage: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${what} must be one of ${allowed.join(', ')}\nusage: ${usage}`);
  return value as T;
}

/** Who the CLI acts as, in the audit trail and on resolved dead letters. */
function cliActor(): string {
  let name = process.env['USER'] ?? process.env['LOGNAME'] ?? 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (containers): keep the environment's name
  }
  return `cli:${name}`;
}

async function auditCli(hub: Hub, action: string, entity: string | null, recordIds: string[], fields: string[]): Promise<void> {
  await hub.store.audit.append({ time: new Date().toISOString(), actor: cliActor(), actorType: 'user', sourceIp: 'local', action, entity, recordIds, fields, outcome: 'success', status: null });
}

/** A hub for a one-shot command: no workers, a silent logger; started (store, Redis, engine). */
async function startCliHub(): Promise<Hub> {
  const hub = createHub({ runWorkers: false, serveApi: false, logger: (await import('pino')).pino({ level: 'silent' }) });
  await hub.start();
  return hub;
}

const DLQ_USAGE = 'hub dlq list [--target T] [--entity E] [--state open|replayed|discarded] [--limit N] [--json] | hub dlq replay <id…> | --all [--target T] [--entity E] [--code C] | hub dlq discard <id…>';

function letterLine(l: DeadLetter): string {
  return [l.id, l.state, l.direction, l.target, l.entity, l.recordId, l.errorCode, String(l.attempts), l.createdAt, l.errorMessage.replace(/\s+/g, ' ').slice(0, 120)].join('\t');
}

async function dlqCommand(argv: readonly string[]): Promise<number> {
  const sub = argv[0];
  if (sub === 'list') {
    const a = parseArgs(argv.slice(1), { values: ['target', 'entity', 'state', 'limit'], flags: ['json'] }, DLQ_USAGE);
    if (a.positional.length > 0) throw new UsageError(`unexpected argument ${a.positional[0]}\nusage: ${DLQ_USAGE}`);
    const state = oneOf(a.values.get('state') ?? 'open', ['open', 'replayed', 'discarded'] as const, '--state', DLQ_USAGE) as DeadLetterState;
    const entity = oneOf(a.values.get('entity'), ENTITY_NAMES, '--entity', DLQ_USAGE);
    const limitText = a.values.get('limit') ?? '50';
    if (!/^\d{1,5}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 10_000) throw new UsageError(`--limit must be a number from 1 to 10000\nusage: ${DLQ_USAGE}`);
    const filter: DeadLetterFilter = { state, ...(a.values.get('target') ? { target: a.values.get('target') as string } : {}), ...(entity ? { entity } : {}) };
    const config = loadConfig();
    const store = await Store.open(config.db, config.dataDir);
    try {
      const letters = await store.deadLetters.list(filter, Number(limitText));
      if (a.flags.has('json')) process.stdout.write(JSON.stringify(letters, null, 2) + '\n');
      else {
        process.stdout.write(['id', 'state', 'dir', 'target', 'entity', 'record', 'code', 'attempts', 'created', 'message'].join('\t') + '\n');
        for (const l of letters) process.stdout.write(letterLine(l) + '\n');
        process.stderr.write(`hub: ${letters.length} ${state} dead letter${letters.length === 1 ? '' : 's'}${letters.length === Number(limitText) ? ' (limit reached; use --limit)' : ''}\n`);
      }
    } finally {
      await store.close();
    }
    return 0;
  }
  if (sub === 'replay' || sub === 'discard') {
    const a = parseArgs(argv.slice(1), sub === 'replay' ? { values: ['target', 'entity', 'code'], flags: ['all'] } : { values: [], flags: [] }, DLQ_USAGE);
    const all = a.flags.has('all');
    if (all && a.positional.length > 0) throw new UsageError(`give dead letter ids or --all, not both\nusage: ${DLQ_USAGE}`);
    if (!all && a.positional.length === 0) throw new UsageError(`give the ids of the dead letters to ${sub}${sub === 'replay' ? ' (or --all)' : ''}\nusage: ${DLQ_USAGE}`);
    if (!all && a.values.size > 0) throw new UsageError(`--target, --entity and --code go with --all\nusage: ${DLQ_USAGE}`);
    const bad = a.positional.find((id) => !/^\d{1,18}$/.test(id));
    if (bad) throw new UsageError(`${bad} is not a dead letter id (a number; see hub dlq list)`);
    const entity = oneOf(a.values.get('entity'), ENTITY_NAMES, '--entity', DLQ_USAGE);
    const hub = await startCliHub();
    try {
      const by = cliActor();
      if (sub === 'discard') {
        const n = await hub.sync.discard(a.positional, by);
        await auditCli(hub, 'sync.deadletter.discard', null, a.positional, []);
        process.stdout.write(`discarded ${n} of ${a.positional.length}\n`);
        if (n < a.positional.length) process.stderr.write('hub: the others do not exist or are not open (see hub dlq list --state replayed|discarded)\n');
        return n === a.positional.length ? 0 : 1;
      }
      const ids = all
        ? await hub.sync.replayWhere({ ...(a.values.get('target') ? { target: a.values.get('target') as string } : {}), ...(entity ? { entity } : {}), ...(a.values.get('code') ? { errorCode: a.values.get('code') as string } : {}) }, by)
        : await hub.sync.replay(a.positional, by);
      await auditCli(hub, 'sync.deadletter.replay', entity ?? null, ids, all ? [...a.values.keys()].map((k) => (k === 'code' ? 'errorCode' : k)).sort() : []);
      process.stdout.write(`replayed ${ids.length}${all ? '' : ` of ${a.positional.length}`}${ids.length > 0 ? `: ${ids.join(' ')}` : ''}\n`);
      const missed = all ? [] : a.positional.filter((id) => !ids.includes(id));
      if (missed.length > 0) process.stderr.write(`hub: not replayed (missing, not open, or no longer configured): ${missed.join(' ')}\n`);
      if (ids.length > 0) process.stderr.write('hub: the workers (hub serve or hub worker) deliver the replayed records\n');
      return missed.length > 0 ? 1 : 0;
    } finally {
      await hub.stop();
    }
  }
  throw new UsageError(`usage: ${DLQ_USAGE}`);
}

const BACKFILL_USAGE = 'hub backfill <connector> <entity> [--since ISO] [--direction in|out] [--detach] | hub backfill --cancel <run-id>';

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** One line of progress: records done/total, percent, records per second, ETA. */
export function progressLine(run: RunView, bar: boolean): string {
  const p = run.progress;
  const width = 24;
  const filled = p.percent === null ? 0 : Math.round((p.percent / 100) * width);
  const parts = [
    ...(bar ? [`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`] : []),
    `${run.state}`,
    `${p.done}${p.total === null ? '' : `/${p.total}`} records`,
    ...(p.percent === null ? [] : [`${p.percent.toFixed(1)}%`]),
    ...(p.recordsPerSecond === null ? [] : [`${p.recordsPerSecond.toFixed(1)} rec/s`]),
    ...(p.etaSeconds === null || run.state !== 'running' ? [] : [`ETA ${duration(p.etaSeconds)}`]),
    ...(run.failed > 0 ? [`${run.failed} failed`] : []),
  ];
  return parts.join('  ');
}

async function backfillCommand(argv: readonly string[]): Promise<number> {
  const a = parseArgs(argv, { values: ['since', 'direction', 'cancel'], flags: ['detach'] }, BACKFILL_USAGE);
  const cancel = a.values.get('cancel');
  if (cancel !== undefined) {
    if (a.positional.length > 0 || a.values.size > 1 || a.flags.size > 0) throw new UsageError(`--cancel takes only a run id\nusage: ${BACKFILL_USAGE}`);
    const hub = await startCliHub();
    try {
      if (!(await hub.sync.run(cancel))) throw new HubError('not_found', 404, `No run ${cancel} (see GET /api/v1/sync/runs)`);
      const run = await hub.sync.cancelRun(cancel);
      await auditCli(hub, 'sync.cancel', run.entity, [run.id], []);
      process.stdout.write(`${run.id}\t${run.state}\t${progressLine(run, false)}\n`);
      return 0;
    } finally {
      await hub.stop();
    }
  }
  const [connector, entity, extra] = a.positional;
  if (!connector || !entity || extra !== undefined) throw new UsageError(`give a connector and an entity\nusage: ${BACKFILL_USAGE}`);
  oneOf(entity, ENTITY_NAMES, 'the entity', BACKFILL_USAGE);
  const direction = oneOf(a.values.get('direction'), ['in', 'out'] as const, '--direction', BACKFILL_USAGE);
  const sinceText = a.values.get('since');
  if (sinceText !== undefined && (Number.isNaN(Date.parse(sinceText)) || !/^\d{4}-\d{2}-\d{2}/.test(sinceText))) throw new UsageError(`--since must be an ISO 8601 date or date-time, such as 2026-01-31T00:00:00Z\nusage: ${BACKFILL_USAGE}`);
  const since = sinceText === undefined ? undefined : new Date(sinceText).toISOString();

  const hub = await startCliHub();
  let id: string | undefined;
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  try {
    const started = await hub.sync.backfill(connector, entity, { by: cliActor(), ...(since ? { since } : {}), ...(direction ? { direction } : {}) });
    id = started.id;
    await auditCli(hub, 'sync.backfill', entity, [id], ['entity', ...(since ? ['since'] : []), ...(direction ? ['direction'] : [])]);
    process.stdout.write(`${id}\n`);
    process.stderr.write(`hub: backfill ${id} of ${entity} ${started.direction === 'in' ? 'from' : 'to'} ${connector} started\n`);
    const tty = process.stderr.isTTY === true;
    // The backfill runs in the workers (`hub serve` or `hub worker`); this process requests and watches.
    const detach = a.flags.has('detach');
    process.on('SIGINT', onSigint);
    const startedAt = Date.now();
    let hinted = false;
    let lastPlain = 0;
    let lastLine = '';
    for (;;) {
      const run = await hub.sync.run(id);
      if (!run) throw new HubError('not_found', 404, `The run ${id} has disappeared`);
      const finished = run.state === 'done' || run.state === 'failed' || run.state === 'cancelled';
      if (detach) {
        process.stderr.write(`hub: detached; follow with GET /api/v1/sync/runs/${id}, cancel with hub backfill --cancel ${id}\n`);
        return 0;
      }
      if (interrupted && !finished) {
        const cancelled = await hub.sync.cancelRun(id).catch(() => undefined);
        if (tty) process.stderr.write('\n');
        process.stderr.write(`hub: ${cancelled ? `backfill ${id} cancelled` : `backfill ${id} had already finished`} (${progressLine(cancelled ?? run, false)})\n`);
        if (cancelled) await auditCli(hub, 'sync.cancel', run.entity, [id], []);
        return 130;
      }
      if (!detach) {
        const line = progressLine(run, tty);
        if (tty) process.stderr.write(`\r${line}\x1b[K`);
        else if (finished || (line !== lastLine && Date.now() - lastPlain >= 5000)) {
          process.stderr.write(`hub: ${line}\n`);
          lastPlain = Date.now();
        }
        lastLine = line;
      }
      if (finished) {
        if (tty) process.stderr.write('\n');
        if (run.state !== 'done') process.stderr.write(`hub: backfill ${run.state}${run.message ? `: ${run.message}` : ''}\n`);
        return run.state === 'done' ? 0 : 1;
      }
      if (!hinted && run.done === 0 && run.state === 'queued' && Date.now() - startedAt > 10_000) {
        hinted = true;
        process.stderr.write(`${tty ? '\n' : ''}hub: nothing has happened for 10 s: backfills run in the workers; is \`hub serve\` or \`hub worker\` running with the same configuration?\n`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    process.off('SIGINT', onSigint);
    await hub.stop();
  }
}

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
  dlq list [--target T] [--entity E] [--state open|replayed|discarded] [--limit N] [--json]
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
  help      show this text

Environment: HUB_PORT (8080), HUB_HOST (127.0.0.1), HUB_DB (embedded SQLite under HUB_DATA_DIR),
HUB_DATA_DIR (./data), REDIS_URL (redis://127.0.0.1:6379), HUB_CONFIG (./hub.config.yaml),
HUB_ADMIN_PASSWORD, HUB_DEMO=1 (load demo data).`;

function fail(error: unknown): never {
  if (error instanceof ConfigError) process.stderr.write(formatConfigError(error) + '\n');
  else if (error instanceof UsageError) {
    process.stderr.write(`hub: ${error.message}\n`);
    process.exit(2);
  } else if (error instanceof HubError) process.stderr.write(`hub: ${error.message}\n${error.errors.map((e) => `  ${e.pointer || '/'}: ${e.detail}\n`).join('')}`);
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
      const hub = createHub({ serveApi: false });
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
      const hub = createHub({ runWorkers: false, serveApi: false, logger: (await import('pino')).pino({ level: 'silent' }) });
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
    case 'dlq':
      // Exits explicitly: nothing of the one-shot hub may keep the process alive.
      process.exit(await dlqCommand(argv.slice(1)));
      return;
    case 'backfill':
      process.exit(await backfillCommand(argv.slice(1)));
      return;
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
