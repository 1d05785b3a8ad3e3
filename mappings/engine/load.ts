import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type FieldProblem } from '../../core/errors.js';
import { checkMapping, type CheckContext } from './check.js';
import type { MappedPayload } from '../../core/model/mapped.js';
import type { Projected } from '../../core/policy/engine.js';
import { compileFields, lookupEntities, type CompiledMapping, type MappingContext } from './compile.js';
import { connectorSchemaSchema, mappingFileSchema, type ConnectorSchema, type FieldRule, type MappingFile } from './spec.js';
import { compileTransform, type CompiledTransform } from './transforms.js';

interface Loaded<T> {
  value: T;
  source: string;
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

/** All compiled mappings by name. */
export class MappingRegistry {
  constructor(
    private readonly mappings: ReadonlyMap<string, CompiledMapping>,
    private readonly schemas: ReadonlyMap<string, ConnectorSchema> = new Map(),
  ) {}
  /** Connectors whose schema is declared. */
  connectors(): string[] {
    return [...this.schemas.keys()].sort();
  }
  schema(connector: string): ConnectorSchema | undefined {
    return this.schemas.get(connector);
  }
  get(name: string): CompiledMapping | undefined {
    return this.mappings.get(name);
  }
  list(): CompiledMapping[] {
    return [...this.mappings.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

/**
 * Loads the default mappings (`defaultDirs`: the folders the connector modules ship, handed in by the
 * hub; this layer knows no connector) and the user's directories `dirs` (later directories override
 * earlier ones by mapping name; `extends` builds on another mapping), checks every mapping against the
 * canonical model, the connector's declared schema and the policy, and compiles them. Throws one
 * ConfigError listing every problem of every file.
 */
export function loadMappings(dirs: readonly string[], ctx: Omit<CheckContext, 'connectors'>, defaultDirs: readonly string[] = []): MappingRegistry {
  const problems: FieldProblem[] = [];
  const connectors = new Map<string, ConnectorSchema>();
  const receiverOf = (connector: string): string => (ctx.receiverOf ? ctx.receiverOf(connector) : undefined) ?? connector;
  const files = new Map<string, Loaded<MappingFile>>();
  for (const [i, dir] of dirs.entries()) {
    // A folder that is not there would silently leave only the defaults.
    if (!existsSync(resolve(dir))) problems.push({ pointer: `/mappings/dirs/${i}`, detail: `the folder ${resolve(dir)} does not exist` });
  }
  for (const dir of [...defaultDirs, ...dirs.map((d) => resolve(d))]) {
    for (const path of yamlFiles(dir)) {
      let data: unknown;
      try {
        data = parseYaml(readFileSync(path, 'utf8'));
      } catch (error) {
        problems.push({ pointer: path, detail: `is not valid YAML: ${(error as Error).message.split('\n')[0]}` });
        continue;
      }
      const isSchema = !!data && typeof data === 'object' && 'entities' in data;
      const parsed = isSchema ? connectorSchemaSchema.safeParse(data) : mappingFileSchema.safeParse(data);
      if (!parsed.success) {
        for (const i of parsed.error.issues) problems.push({ pointer: `${path}#/${i.path.map(String).join('/')}`, detail: i.message });
        continue;
      }
      if (isSchema) connectors.set((parsed.data as ConnectorSchema).connector, parsed.data as ConnectorSchema);
      else files.set((parsed.data as MappingFile).name, { value: parsed.data as MappingFile, source: path });
    }
  }

  const resolved = (name: string, seen: string[] = []): Record<string, FieldRule> | undefined => {
    const file = files.get(name);
    if (!file) return undefined;
    if (seen.includes(name)) return undefined;
    const base = file.value.extends ? resolved(file.value.extends, [...seen, name]) : {};
    const rules: Record<string, FieldRule> = { ...(base ?? {}) };
    for (const [k, v] of Object.entries(file.value.fields)) {
      if (v === null) delete rules[k];
      else rules[k] = v;
    }
    return rules;
  };

  const compiled = new Map<string, CompiledMapping>();
  for (const [name, { value: file, source }] of files) {
    if (file.extends && !files.has(file.extends)) {
      problems.push({ pointer: `${source}#/extends`, detail: `there is no mapping ${file.extends}` });
      continue;
    }
    const rules = resolved(name);
    if (!rules) {
      problems.push({ pointer: `${source}#/extends`, detail: 'extends itself through a cycle' });
      continue;
    }
    const { problems: found, reads } = checkMapping(file, rules, source, { ...ctx, connectors });
    problems.push(...found);
    if (found.length > 0) continue;
    const compiler = {
      transforms: (specs: readonly unknown[] | undefined): CompiledTransform[] =>
        (specs ?? []).map((spec) => {
          const t = compileTransform(spec as never, ctx.custom);
          if ('error' in t) throw new Error(t.error); // unreachable: checked above
          return t;
        }),
    };
    const run = compileFields(name, rules, compiler);
    const base = {
      name,
      connector: file.connector,
      entity: file.entity,
      externalEntity: file.externalEntity,
      target: `target:${receiverOf(file.connector)}`,
      reads,
      writes: [...new Set(Object.keys(rules).map((k) => k.split('.')[0] as string))],
      refers: lookupEntities(rules),
    };
    // The only place a mapped payload is made: from a projected record, by an outbound mapping.
    compiled.set(name, file.direction === 'out' ? { ...base, direction: 'out', map: (record: Projected, mctx: MappingContext) => run(record, mctx) as MappedPayload } : { ...base, direction: 'in', map: (record, mctx: MappingContext) => run(record, mctx) });
  }
  if (problems.length > 0) throw new ConfigError(`Mappings are invalid (${problems.length} problem${problems.length === 1 ? '' : 's'})`, problems);
  return new MappingRegistry(compiled, connectors);
}
