import { HubError } from '../../core/errors.js';
import { ENTITY_NAMES } from '../../core/model/entities.js';
import { DEAD_LETTER_STATES, type DeadLetter, type DeadLetterFilter, type DeadLetterState } from '../../core/store/dead-letters-repository.js';
import type { RunView } from '../../queues/engine.js';
import { auditCli, cliActor, cliConfig, oneOf, parseArgs, startCliHub, UsageError } from './args.js';

const DLQ_USAGE = 'hub dlq list [--target T] [--entity E] [--state open|replayed|discarded|delivered] [--limit N] [--json] | hub dlq replay <id…> | --all [--target T] [--entity E] [--code C] | hub dlq discard <id…>';

function letterLine(l: DeadLetter): string {
  return [l.id, l.state, l.direction, l.target, l.entity, l.recordId, l.errorCode, String(l.attempts), l.createdAt, l.errorMessage.replace(/\s+/g, ' ').slice(0, 120)].join('\t');
}

export async function dlqCommand(argv: readonly string[]): Promise<number> {
  const sub = argv[0];
  if (sub === 'list') {
    const a = parseArgs(argv.slice(1), { values: ['target', 'entity', 'state', 'limit'], flags: ['json'] }, DLQ_USAGE);
    const state = oneOf(a.values.get('state') ?? 'open', DEAD_LETTER_STATES, '--state', DLQ_USAGE) as DeadLetterState;
    const entity = oneOf(a.values.get('entity'), ENTITY_NAMES, '--entity', DLQ_USAGE);
    const limitText = a.values.get('limit') ?? '50';
    if (!/^\d{1,5}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 10_000) throw new UsageError(`--limit must be a number from 1 to 10000\nusage: ${DLQ_USAGE}`);
    const filter: DeadLetterFilter = { state, ...(a.values.get('target') ? { target: a.values.get('target') as string } : {}), ...(entity ? { entity } : {}) };
    const config = await cliConfig();
    const { Store } = await import('../../core/store/store.js');
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
    const a = parseArgs(argv.slice(1), sub === 'replay' ? { values: ['target', 'entity', 'code'], flags: ['all'], maxPositional: Infinity } : { maxPositional: Infinity }, DLQ_USAGE);
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
        const n = await hub.sync.deadLetters.discard(a.positional, by);
        await auditCli(hub, 'sync.deadletter.discard', null, a.positional, []);
        process.stdout.write(`discarded ${n} of ${a.positional.length}\n`);
        if (n < a.positional.length) process.stderr.write('hub: the others do not exist or are not open (see hub dlq list --state replayed|discarded|delivered)\n');
        return n === a.positional.length ? 0 : 1;
      }
      const ids = all
        ? await hub.sync.deadLetters.replayWhere({ ...(a.values.get('target') ? { target: a.values.get('target') as string } : {}), ...(entity ? { entity } : {}), ...(a.values.get('code') ? { errorCode: a.values.get('code') as string } : {}) }, by)
        : await hub.sync.deadLetters.replay(a.positional, by);
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

export async function backfillCommand(argv: readonly string[]): Promise<number> {
  const a = parseArgs(argv, { values: ['since', 'direction', 'cancel'], flags: ['detach'], maxPositional: 3 }, BACKFILL_USAGE);
  const cancel = a.values.get('cancel');
  if (cancel !== undefined) {
    if (a.positional.length > 0 || a.values.size > 1 || a.flags.size > 0) throw new UsageError(`--cancel takes only a run id\nusage: ${BACKFILL_USAGE}`);
    const hub = await startCliHub();
    try {
      if (!(await hub.sync.runs.get(cancel))) throw new HubError('not_found', 404, `No run ${cancel} (see GET /api/v1/sync/runs)`);
      const run = await hub.sync.runs.cancel(cancel);
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
    const started = await hub.sync.runs.backfill(connector, entity, { by: cliActor(), ...(since ? { since } : {}), ...(direction ? { direction } : {}) });
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
      const run = await hub.sync.runs.get(id);
      if (!run) throw new HubError('not_found', 404, `The run ${id} has disappeared`);
      const finished = run.state === 'done' || run.state === 'failed' || run.state === 'cancelled';
      if (detach) {
        process.stderr.write(`hub: detached; follow with GET /api/v1/sync/runs/${id}, cancel with hub backfill --cancel ${id}\n`);
        return 0;
      }
      if (interrupted && !finished) {
        const cancelled = await hub.sync.runs.cancel(id).catch(() => undefined);
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

