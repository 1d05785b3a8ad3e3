import { HubError, NotFoundError } from '../../core/errors.js';
import { ENTITY_NAMES, type EntityName } from '../../core/model/entities.js';
import type { Receiver } from '../../core/policy/engine.js';
import type { Conflict } from '../../core/store/conflicts-repository.js';
import type { Hub } from '../create-hub.js';
import { auditCli, cliActor, oneOf, parseArgs, startCliHub, UsageError } from './args.js';

const USAGE = 'hub conflicts list [--state open|resolved] [--entity E] [--limit N] [--json] | hub conflicts resolve <id> --pick hub|system|value [--value JSON]';

/** The CLI is an operator at the hub's own machine: it sees what an admin sees, through the same projection. */
const OPERATOR: Receiver = { kind: 'principal', roles: ['admin'], userId: null, teamId: null, subtree: new Set() };

/** A conflict with its two values as the admin role may see them (a value the policy hides is left out). */
async function shown(hub: Hub, c: Conflict): Promise<Record<string, unknown>> {
  const { theirValue, hubValue, ...rest } = c;
  const out: Record<string, unknown> = { ...rest };
  if (!(ENTITY_NAMES as readonly string[]).includes(c.entity)) return out;
  const entity = c.entity as EntityName;
  const { ENTITIES } = await import('../../core/model/entities.js');
  const record = (await hub.store.records.get(ENTITIES[entity], c.recordId)) ?? { id: c.recordId };
  for (const [key, value] of [['theirValue', theirValue], ['hubValue', hubValue]] as const) {
    const projected = hub.policy.project(OPERATOR, entity, { ...record, [c.field]: (value ?? null) as never });
    if (projected && c.field in projected) out[key] = projected[c.field];
  }
  return out;
}

function line(c: Record<string, unknown>): string {
  const v = (x: unknown) => (x === undefined ? '(hidden)' : JSON.stringify(x));
  return [c['id'], c['state'], c['entity'], c['recordId'], c['field'], c['system'], v(c['theirValue']), c['hubSystem'] ?? '-', v(c['hubValue']), c['createdAt'], c['resolution'] ?? '-'].join('\t');
}

export async function conflictsCommand(argv: readonly string[]): Promise<number> {
  const sub = argv[0];
  if (sub === 'list') {
    const a = parseArgs(argv.slice(1), { values: ['state', 'entity', 'limit'], flags: ['json'] }, USAGE);
    const state = oneOf(a.values.get('state') ?? 'open', ['open', 'resolved'] as const, '--state', USAGE) as Conflict['state'];
    const entity = oneOf(a.values.get('entity'), ENTITY_NAMES, '--entity', USAGE);
    const limitText = a.values.get('limit') ?? '50';
    if (!/^\d{1,5}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 10_000) throw new UsageError(`--limit must be a number from 1 to 10000\nusage: ${USAGE}`);
    const hub = await startCliHub();
    try {
      const rows = await hub.sync.conflicts.list({ state, limit: Number(limitText), ...(entity ? { entity } : {}) });
      const items = await Promise.all(rows.map((c) => shown(hub, c)));
      await auditCli(hub, 'sync.conflict.list', entity ?? null, rows.map((c) => c.recordId), [...new Set(rows.map((c) => c.field))].sort());
      if (a.flags.has('json')) process.stdout.write(JSON.stringify(items, null, 2) + '\n');
      else {
        process.stdout.write(['id', 'state', 'entity', 'record', 'field', 'system', 'their value', 'hub system', 'hub value', 'created', 'resolution'].join('\t') + '\n');
        for (const c of items) process.stdout.write(line(c) + '\n');
        process.stderr.write(`hub: ${rows.length} ${state} conflict${rows.length === 1 ? '' : 's'}${rows.length === Number(limitText) ? ' (limit reached; use --limit)' : ''}\n`);
      }
      return 0;
    } finally {
      await hub.stop();
    }
  }
  if (sub === 'resolve') {
    const a = parseArgs(argv.slice(1), { values: ['pick', 'value'], maxPositional: 1 }, USAGE);
    const id = a.positional[0];
    if (!id) throw new UsageError(`give the id of the conflict (see hub conflicts list)\nusage: ${USAGE}`);
    if (!/^\d{1,18}$/.test(id)) throw new UsageError(`${id} is not a conflict id (a number; see hub conflicts list)`);
    const pick = oneOf(a.values.get('pick'), ['hub', 'system', 'value'] as const, '--pick', USAGE);
    if (!pick) throw new UsageError(`--pick is required: hub (keep the hub's value), system (take the system's) or value (set --value)\nusage: ${USAGE}`);
    const valueText = a.values.get('value');
    if (pick === 'value' && valueText === undefined) throw new UsageError(`--pick value needs --value JSON (e.g. --value '"12.50"')\nusage: ${USAGE}`);
    if (pick !== 'value' && valueText !== undefined) throw new UsageError(`--value goes with --pick value only\nusage: ${USAGE}`);
    let value: unknown;
    if (valueText !== undefined) {
      try {
        value = JSON.parse(valueText);
      } catch {
        throw new UsageError(`--value must be JSON (a string needs quotes: '"text"')\nusage: ${USAGE}`);
      }
    }
    const hub = await startCliHub();
    try {
      const before = await hub.store.conflicts.get(id);
      if (!before) throw new HubError('not_found', 404, `No conflict ${id} (see hub conflicts list)`);
      const resolved = await hub.sync.conflicts.resolve(id, { pick, ...(pick === 'value' ? { value } : {}) }, cliActor()).catch((error: unknown) => {
        throw error instanceof NotFoundError ? new HubError('not_found', 404, `No conflict ${id}`) : error;
      });
      await auditCli(hub, 'sync.conflict.resolve', resolved.entity, [resolved.recordId], [resolved.field]);
      process.stdout.write(line(await shown(hub, resolved)) + '\n');
      if (pick !== 'system') process.stderr.write('hub: the workers (hub serve or hub worker) deliver the resolved value\n');
      return 0;
    } finally {
      await hub.stop();
    }
  }
  throw new UsageError(`usage: ${USAGE}`);
}
