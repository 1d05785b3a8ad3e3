import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_REDIS_URL } from '../../core/redis.js';
import { ConfigError, type FieldProblem } from '../../core/errors.js';
import { salvageConfigFile } from './salvage.js';
import { configFileSchema, type ConfigFile, type ConfigFileInput } from './schema.js';


/** Everything the hub reads at start, validated. Frozen. */
export interface HubConfig {
  readonly port: number;
  readonly host: string;
  /** `mysql://…` or `sqlite:<file>`; undefined means `<dataDir>/hub.sqlite`. */
  readonly db: string | undefined;
  readonly dataDir: string;
  readonly redisUrl: string;
  readonly adminPassword: string | undefined;
  readonly demo: boolean;
  /**
   * SQLite's `synchronous` in WAL mode: `normal` (default; a commit survives a crash of the process,
   * the last commits may be lost on power failure) or `full` (fsync on every commit).
   */
  readonly sqliteSynchronous: 'normal' | 'full';
  readonly configPath: string | undefined;
  readonly file: ConfigFile;
}

type Env = Readonly<Record<string, string | undefined>>;

function pathToPointer(path: readonly PropertyKey[]): string {
  return '/' + path.map((p) => String(p)).join('/');
}

/**
 * Parses and validates configuration data (an object from YAML or from the embedding host). With
 * problems, `value` is what could be salvaged (see `salvageConfigFile`), for the rest of the checks
 * only: `complete` is false and the hub must not start from it.
 */
export function parseConfigFile(data: unknown, source: string): { value?: ConfigFile; complete: boolean; problems: FieldProblem[]; declaredConnectors: string[] } {
  const result = configFileSchema.safeParse(data ?? {});
  if (result.success) return { value: result.data, complete: true, problems: [], declaredConnectors: Object.keys(result.data.connectors) };
  const salvaged = salvageConfigFile(data ?? {});
  return {
    ...(salvaged.value ? { value: salvaged.value } : {}),
    complete: false,
    declaredConnectors: salvaged.declaredConnectors,
    problems: result.error.issues.map((i) => ({
      pointer: `${source}#${pathToPointer(i.path)}`,
      detail: i.code === 'unrecognized_keys' ? `unknown key(s): ${(i as { keys: string[] }).keys.join(', ')}` : i.message,
    })),
  };
}

/**
 * Reads the configuration file (`HUB_CONFIG`, default `./hub.config.yaml`, optional) and the
 * environment, and validates both at once. Throws a ConfigError listing every problem.
 */
export function loadConfig(env: Env = process.env, overrides: { file?: ConfigFileInput } = {}): HubConfig {
  const { config, problems } = inspectConfig(env, overrides);
  if (problems.length > 0 || !config) throw configError(problems);
  return config;
}

/** The ConfigError listing `problems`. */
export function configError(problems: readonly FieldProblem[]): ConfigError {
  return new ConfigError(`Configuration is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'})`, problems);
}

/**
 * Like `loadConfig`, but returns the problems instead of throwing, and a configuration whenever the
 * file could be read, salvaged from its valid sections and entries when it has problems (so that the
 * hub can go on to check mappings, connectors and the rest, and list every problem at once). A
 * configuration returned with problems must not be used to start. `declaredConnectors` names every
 * connector the file declares, valid or not.
 */
export function inspectConfig(env: Env = process.env, overrides: { file?: ConfigFileInput } = {}): { config: HubConfig | undefined; problems: FieldProblem[]; declaredConnectors: readonly string[] } {
  const problems: FieldProblem[] = [];
  const explicitPath = env['HUB_CONFIG'] || undefined;
  const path = resolve(explicitPath ?? 'hub.config.yaml');
  let data: unknown = overrides.file ?? {};
  let configPath: string | undefined;
  if (!overrides.file) {
    if (existsSync(path)) {
      configPath = path;
      try {
        data = parseYaml(readFileSync(path, 'utf8'));
      } catch (error) {
        problems.push({ pointer: path, detail: `is not valid YAML: ${(error as Error).message.split('\n')[0]}` });
      }
    } else if (explicitPath) {
      problems.push({ pointer: 'HUB_CONFIG', detail: `file ${path} does not exist` });
    }
  }
  const parsed = parseConfigFile(data, configPath ?? 'config');
  problems.push(...parsed.problems);
  const file = parsed.value ? resolveFilePaths(parsed.value, configPath, problems) : undefined;

  const portText = env['HUB_PORT'] ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 0 || port > 65535) problems.push({ pointer: 'HUB_PORT', detail: 'must be an integer port between 0 and 65535' });
  const db = env['HUB_DB'] || undefined;
  if (db && !/^(mysql:\/\/|sqlite:)/.test(db)) problems.push({ pointer: 'HUB_DB', detail: 'must be mysql://user:password@host:port/database or sqlite:<file>' });
  if (db?.startsWith('mysql://')) {
    try {
      if (!new URL(db).pathname.slice(1)) problems.push({ pointer: 'HUB_DB', detail: 'must name a database, e.g. mysql://root@127.0.0.1:3306/hub' });
    } catch {
      problems.push({ pointer: 'HUB_DB', detail: 'is not a valid URL' });
    }
  }
  const redisUrl = env['REDIS_URL'] || DEFAULT_REDIS_URL;
  if (!/^rediss?:\/\//.test(redisUrl)) problems.push({ pointer: 'REDIS_URL', detail: 'must be redis://host:port or rediss://host:port' });
  const adminPassword = env['HUB_ADMIN_PASSWORD'] || undefined;
  if (adminPassword !== undefined && adminPassword.length < 12) problems.push({ pointer: 'HUB_ADMIN_PASSWORD', detail: 'must be at least 12 characters' });
  const demoText = env['HUB_DEMO'] ?? '0';
  if (!['0', '1', 'true', 'false', ''].includes(demoText)) problems.push({ pointer: 'HUB_DEMO', detail: 'must be 1 or 0' });
  const sqliteSynchronous = (env['HUB_SQLITE_SYNCHRONOUS'] || 'normal').toLowerCase();
  if (sqliteSynchronous !== 'normal' && sqliteSynchronous !== 'full') problems.push({ pointer: 'HUB_SQLITE_SYNCHRONOUS', detail: 'must be normal or full' });

  const declaredConnectors = parsed.declaredConnectors;
  if (!file) return { config: undefined, problems, declaredConnectors };
  const config: HubConfig = Object.freeze({
    port,
    host: env['HUB_HOST'] || '127.0.0.1',
    db,
    dataDir: resolve(env['HUB_DATA_DIR'] || 'data'),
    redisUrl,
    adminPassword,
    demo: demoText === '1' || demoText === 'true',
    sqliteSynchronous: sqliteSynchronous === 'full' ? 'full' : 'normal',
    configPath,
    file,
  });
  return { config, problems, declaredConnectors };
}

/**
 * Paths in the configuration file (`mappings.dirs`, `policy.file`) are relative to the file's own
 * directory, so a configuration means the same whatever directory the hub is started from; paths in
 * configuration given in code (no file) are relative to the working directory. Each must exist: a
 * mapping folder or policy that is not there would otherwise be silently replaced by the defaults.
 */
function resolveFilePaths(file: ConfigFile, configPath: string | undefined, problems: FieldProblem[]): ConfigFile {
  const base = configPath ? dirname(configPath) : process.cwd();
  const source = configPath ?? 'config';
  const against = configPath ? `relative to the configuration file's folder ${base}` : `relative to the working directory ${base}`;
  const dirs = file.mappings.dirs.map((dir, i) => {
    const path = resolve(base, dir);
    if (!existsSync(path)) problems.push({ pointer: `${source}#/mappings/dirs/${i}`, detail: `the folder ${path} does not exist (${against})` });
    else if (!statSync(path).isDirectory()) problems.push({ pointer: `${source}#/mappings/dirs/${i}`, detail: `${path} is not a folder` });
    return path;
  });
  let policyFile = file.policy.file;
  if (policyFile !== undefined) {
    policyFile = resolve(base, policyFile);
    if (!existsSync(policyFile)) problems.push({ pointer: `${source}#/policy/file`, detail: `the file ${policyFile} does not exist (${against})` });
  }
  return { ...file, mappings: { ...file.mappings, dirs }, policy: policyFile === undefined ? file.policy : { ...file.policy, file: policyFile } };
}

/** One line per problem, for the console when the hub refuses to start. */
export function formatConfigError(error: ConfigError): string {
  return [error.message + ':', ...error.errors.map((p) => `  - ${p.pointer}: ${p.detail}`)].join('\n');
}
