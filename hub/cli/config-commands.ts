import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cliConfig, parseArgs, UsageError } from './args.js';

const POLICY_USAGE = 'hub policy check [--file <policy.yaml>] [--role <role>]';
const MAPPING_USAGE = 'hub mapping list | hub mapping preview <mapping> <record-id|file.json>';

/** `hub policy check`: the configuration file and the policy only (no store, no Redis). */
export async function policyCommand(argv: readonly string[]): Promise<number> {
  if (argv[0] !== 'check') throw new UsageError(`usage: ${POLICY_USAGE}`);
  const a = parseArgs(argv.slice(1), { values: ['file', 'role'] }, POLICY_USAGE);
  const config = await cliConfig();
  const file = a.values.get('file') ?? config.file.policy.file;
  const [{ fieldCatalog }, { loadedSpec }, { loadPolicyFile, DEFAULT_POLICY_PATH }, { formatMatrix }] = await Promise.all([
    import('../../core/model/spec-catalog.js'),
    import('../../openapi/app/spec.js'),
    import('../../core/policy/load.js'),
    import('../../core/policy/matrix.js'),
  ]);
  const catalog = fieldCatalog(loadedSpec().document);
  // Checking needs no real hash key; the matrix shows decisions, not values.
  const engine = loadPolicyFile(file, catalog, randomBytes(32));
  const role = a.values.get('role');
  let receivers = engine.receivers();
  if (role !== undefined) {
    const receiver = role.startsWith('role:') || role.startsWith('target:') ? role : `role:${role}`;
    if (!receivers.includes(receiver)) {
      const known = receivers.filter((r) => r.startsWith('role:')).map((r) => r.slice(5));
      throw new UsageError(`the policy has no role ${role}; its roles: ${known.join(', ')}${receivers.some((r) => r.startsWith('target:')) ? ` (targets: ${receivers.filter((r) => r.startsWith('target:')).join(', ')})` : ''}`);
    }
    receivers = [receiver];
  }
  process.stdout.write(formatMatrix(engine, catalog, receivers) + '\n');
  process.stderr.write(`hub: policy ${file ?? DEFAULT_POLICY_PATH} is valid (${engine.receivers().length} receivers)\n`);
  return 0;
}

/** `hub mapping list|preview`: the checked configuration; the store only to preview a stored record. */
export async function mappingCommand(argv: readonly string[]): Promise<number> {
  const sub = argv[0];
  if (sub !== 'list' && sub !== 'preview') throw new UsageError(`usage: ${MAPPING_USAGE}`);
  const a = parseArgs(argv.slice(1), { maxPositional: sub === 'list' ? 0 : 2 }, MAPPING_USAGE);
  const [name, ref] = a.positional;
  if (sub === 'preview' && (!name || !ref)) throw new UsageError(`give a mapping and a record id or a JSON file\nusage: ${MAPPING_USAGE}`);
  const [{ prepareHub }, { pino }] = await Promise.all([import('../config/prepare.js'), import('pino')]);
  const hub = prepareHub({ logger: pino({ level: 'silent' }) });
  try {
    if (sub === 'list') {
      for (const m of hub.mappings.list()) process.stdout.write(`${m.name}\t${m.direction}\t${m.entity} ⇄ ${m.connector} ${m.externalEntity}\t${m.target}\n`);
      return 0;
    }
    const mapping = hub.mappings.get(name!);
    if (!mapping) throw new UsageError(`no mapping named ${name}; see hub mapping list`);
    let input: { record: Record<string, never> } | { recordId: string };
    if (existsSync(ref!)) {
      try {
        input = { record: JSON.parse(readFileSync(ref!, 'utf8')) as Record<string, never> };
      } catch (error) {
        throw new UsageError(`${ref} is not a JSON file: ${(error as Error).message}`);
      }
    } else input = { recordId: ref! };
    const { Store } = await import('../../core/store/store.js');
    const store = await Store.open(hub.config.db, hub.config.dataDir);
    try {
      const { previewMapping } = await import('../../mappings/engine/preview.js');
      const result = await previewMapping(mapping, input, { store, policy: hub.policy, catalog: hub.catalog });
      process.stdout.write(JSON.stringify(result.payload, null, 2) + '\n');
      for (const p of result.policy) process.stderr.write(`policy: ${p.field} ${p.action === 'deny' ? 'removed' : p.action + 'ed'} by ${p.rule}\n`);
      for (const u of result.unlinked) process.stderr.write(`unlinked: ${u} has no id link in ${mapping.connector} yet\n`);
      return 0;
    } finally {
      await store.close();
    }
  } finally {
    await Promise.all([...hub.connectors.values()].map((c) => c.close().catch(() => undefined)));
  }
}

/** `hub migrate`: the store's schema only. */
export async function migrateCommand(argv: readonly string[]): Promise<number> {
  parseArgs(argv, {}, 'hub migrate');
  const config = await cliConfig();
  const { Store } = await import('../../core/store/store.js');
  const store = await Store.open(config.db, config.dataDir, { migrate: false });
  try {
    const applied = await store.migrate();
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the schema is up to date\n');
    return 0;
  } finally {
    await store.close();
  }
}
