import { z } from 'zod';
import { ConfigError, type FieldProblem } from '../core/errors.js';
import type { ConnectorConfigSchema, ConnectorContext, ConnectorDeps, ConnectorEnv, ConnectorModule } from './connector-module.js';
import type { Connector } from './contract.js';
import { CONNECTOR_MODULES } from './registry.js';

export type { ConnectorDeps, ConnectorEnv } from './connector-module.js';

/**
 * One connector instance as configured in `hub.config.yaml` under `connectors: { <name>: … }`, and
 * the factory that builds it, both made from the registered connector modules (connectors/registry.ts):
 * the configuration is the union of the modules' schemas, discriminated on `type`. Secrets are never in
 * the file: it names the environment variables that hold them (`urlEnv`, `tokenEnv` …), which each
 * module lists (`secrets`), and `createConnector` reads them.
 */

/** A connector's name: the key under `connectors:`. */
export const connectorNameSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must start with a letter: letters, digits, _ and -, at most 64');

/** A non-empty list of connector modules. */
export type ConnectorModules = readonly [ConnectorModule, ...ConnectorModule[]];
type SchemasOf<M extends ConnectorModules> = { -readonly [K in keyof M]: M[K]['configSchema'] };

/** The configuration union, the parser and the factory of a list of connector modules. */
export interface ConnectorFactory<M extends ConnectorModules> {
  readonly modules: M;
  /** One connector instance, discriminated on `type`. */
  readonly schema: z.ZodDiscriminatedUnion<SchemasOf<M>, 'type'>;
  /** Validates one connector's configuration; throws a ConfigError listing every problem with its pointer. */
  parse(name: string, data: unknown): z.output<z.ZodDiscriminatedUnion<SchemasOf<M>, 'type'>>;
  /** A problem (naming the variable, never a value) for each secret the configuration names that is unset or empty. */
  missingSecrets(name: string, config: z.output<z.ZodDiscriminatedUnion<SchemasOf<M>, 'type'>>, env: ConnectorEnv): FieldProblem[];
  /**
   * Builds the connector `name` from its configuration (validated again here, so raw data from YAML is
   * fine) and the secrets its environment variables hold. Throws a ConfigError whose problems point at
   * `/connectors/<name>/…` and name variables, never their values. Opens no connection: `check()` is
   * where an unreachable system shows.
   */
  create(name: string, config: z.input<z.ZodDiscriminatedUnion<SchemasOf<M>, 'type'>>, env: ConnectorEnv, deps?: ConnectorDeps): Connector;
}

const misconfigured = (name: string, problems: readonly FieldProblem[]) =>
  new ConfigError(`Connector ${name} is misconfigured (${problems.length} problem${problems.length === 1 ? '' : 's'})`, [...problems]);

function problemsOf(name: string, error: z.ZodError): FieldProblem[] {
  return error.issues.map((i) => ({
    pointer: `/connectors/${name}${i.path.length ? '/' + i.path.map(String).join('/') : ''}`,
    detail: i.code === 'unrecognized_keys' ? `unknown key(s): ${i.keys.join(', ')}` : i.message,
  }));
}

/** Builds the configuration union and the factory of `modules`; refuses two modules of one type. */
export function connectorFactory<const M extends ConnectorModules>(modules: M): ConnectorFactory<M> {
  const byType = new Map<string, ConnectorModule>();
  for (const m of modules) {
    if (byType.has(m.type)) throw new Error(`two connector modules have the type ${m.type}`);
    if (m.configSchema.shape.type.value !== m.type) throw new Error(`the connector module ${m.type} has a configuration schema of type ${String(m.configSchema.shape.type.value)}`);
    byType.set(m.type, m);
  }
  const schema = z.discriminatedUnion('type', modules.map((m) => m.configSchema) as unknown as readonly [ConnectorConfigSchema, ...ConnectorConfigSchema[]]) as unknown as ConnectorFactory<M>['schema'];
  type Config = z.output<ConnectorFactory<M>['schema']>;
  const moduleOf = (config: Config): ConnectorModule => byType.get((config as { type: string }).type)!;

  const parse = (name: string, data: unknown): Config => {
    const problems: FieldProblem[] = [];
    const named = connectorNameSchema.safeParse(name);
    if (!named.success) problems.push({ pointer: `/connectors/${name}`, detail: `connector name ${named.error.issues[0]?.message ?? 'is invalid'}` });
    const parsed = schema.safeParse(data);
    if (!parsed.success) problems.push(...problemsOf(name, parsed.error));
    if (problems.length > 0 || !parsed.success) throw misconfigured(name, problems);
    return parsed.data as Config;
  };

  const missingSecrets = (name: string, config: Config, env: ConnectorEnv): FieldProblem[] =>
    moduleOf(config)
      .secrets(config as never)
      .filter((s) => env[s.variable] === undefined || env[s.variable] === '')
      .map((s) => ({ pointer: `/connectors/${name}/${s.pointer}`, detail: `environment variable ${s.variable} is not set` }));

  return {
    modules,
    schema,
    parse,
    missingSecrets,
    create(name, config, env, deps = {}) {
      const valid = parse(name, config);
      const missing = missingSecrets(name, valid, env);
      if (missing.length > 0) throw misconfigured(name, missing);
      const ctx: ConnectorContext = {
        env,
        deps,
        secret: (variable) => env[variable] ?? '',
        invalid: (pointer, detail) => misconfigured(name, [{ pointer: `/connectors/${name}/${pointer}`, detail }]),
      };
      return moduleOf(valid).create(name, valid as never, ctx);
    },
  };
}

const registered = connectorFactory(CONNECTOR_MODULES);

/** One connector instance of a registered module, discriminated on `type`. */
export const connectorConfigSchema = registered.schema;

/** The `connectors:` section: name → instance. */
export const connectorsConfigSchema = z.record(connectorNameSchema, connectorConfigSchema);

export type ConnectorConfig = z.output<typeof connectorConfigSchema>;
export type ConnectorConfigInput = z.input<typeof connectorConfigSchema>;
export type ConnectorsConfig = z.output<typeof connectorsConfigSchema>;

/** Validates one connector's configuration; throws a ConfigError listing every problem with its pointer. */
export const parseConnectorConfig = (name: string, data: unknown): ConnectorConfig => registered.parse(name, data);

/** Builds a connector of a registered module (see ConnectorFactory.create). */
export const createConnector = (name: string, config: ConnectorConfigInput, env: ConnectorEnv, deps: ConnectorDeps = {}): Connector => registered.create(name, config, env, deps);
