import type { ConnectorStatus } from '../../queues/engine.js';
import { HubError } from '../../core/errors.js';
import { parseArgs, startCliHub, UsageError } from './args.js';

const USAGE = 'hub connectors status [--json] | hub connectors check [name…]';

function statusRows(items: readonly ConnectorStatus[]): string[] {
  const rows: string[] = [];
  for (const c of items) {
    const q = c.queue ? `${c.queue.waiting}/${c.queue.active}/${c.queue.delayed}/${c.queue.failed}` : '-';
    const breaker = c.breaker ? c.breaker.state : '-';
    const entities = c.entities.length > 0 ? c.entities : [undefined];
    for (const e of entities) {
      const counts = e ? Object.entries(e.counts).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`).join(',') || '-' : '-';
      rows.push([c.id, c.roles.join('+'), c.state, breaker, q, e?.entity ?? '-', e?.direction ?? '-', e?.lagSeconds ?? '-', e?.lastSuccessAt ?? '-', e?.lastErrorCode ?? '-', e?.openDeadLetters ?? '-', counts].join('\t'));
    }
  }
  return rows;
}

export async function connectorsCommand(argv: readonly string[]): Promise<number> {
  const sub = argv[0];
  if (sub === 'status') {
    const a = parseArgs(argv.slice(1), { flags: ['json'] }, USAGE);
    const hub = await startCliHub();
    try {
      // The same figures as GET /api/v1/sync/connectors.
      const items = await hub.sync.status();
      if (a.flags.has('json')) process.stdout.write(JSON.stringify(items, null, 2) + '\n');
      else {
        process.stdout.write(['connector', 'roles', 'state', 'breaker', 'queue w/a/d/f', 'entity', 'dir', 'lag s', 'last success', 'last error', 'open dead letters', 'counts'].join('\t') + '\n');
        for (const r of statusRows(items)) process.stdout.write(r + '\n');
        if (items.length === 0) process.stderr.write('hub: no sync targets or sources are configured (sync.targets, sync.sources)\n');
      }
      return 0;
    } finally {
      await hub.stop();
    }
  }
  if (sub === 'check') {
    const a = parseArgs(argv.slice(1), { maxPositional: Infinity }, USAGE);
    // The configuration and the connectors only: no store, no Redis.
    const [{ prepareHub }, { pino }] = await Promise.all([import('../config/prepare.js'), import('pino')]);
    const prepared = prepareHub({ logger: pino({ level: 'silent' }) });
    const configured = [...prepared.connectors.keys()].sort();
    try {
      const unknown = a.positional.filter((n) => !prepared.connectors.has(n));
      if (unknown.length > 0) throw new UsageError(`no connector named ${unknown.join(', ')}; configured: ${configured.join(', ') || 'none (connectors in the configuration file)'}`);
      const names = a.positional.length > 0 ? a.positional : configured;
      if (names.length === 0) {
        process.stderr.write('hub: no connectors are configured (connectors in the configuration file)\n');
        return 0;
      }
      const results = await Promise.all(
        names.map(async (name) => {
          const started = Date.now();
          try {
            await prepared.connectors.get(name)!.check();
            return { name, ok: true, line: `${name}\tok\t${Date.now() - started} ms` };
          } catch (error) {
            const code = error instanceof HubError ? error.code.replace(/^connector_/, '') : 'error';
            const message = (error as Error)?.message?.replace(/\s+/g, ' ').slice(0, 300) ?? String(error);
            return { name, ok: false, line: `${name}\tfailed\t${code}\t${message}` };
          }
        }),
      );
      for (const r of results) process.stdout.write(r.line + '\n');
      const failed = results.filter((r) => !r.ok).length;
      if (failed > 0) process.stderr.write(`hub: ${failed} of ${results.length} connector${results.length === 1 ? '' : 's'} failed the check\n`);
      return failed > 0 ? 1 : 0;
    } finally {
      await Promise.all([...prepared.connectors.values()].map((c) => c.close().catch(() => undefined)));
    }
  }
  throw new UsageError(`usage: ${USAGE}`);
}
