import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { fieldCatalog, fieldTypes, requiredOnCreate } from '../../core/model/spec-catalog.js';
import { loadedSpec } from '../../openapi/app/spec.js';
import { loadMappings, type MappingRegistry } from '../../mappings/engine/load.js';
import { HUB_SYSTEM, Ownership } from '../../mappings/engine/ownership.js';
import type { CustomTransform } from '../../mappings/engine/transforms.js';
import { resolveSyncConfig, type SyncConfig } from '../../queues/config.js';
import type { Connector } from '../../connectors/contract.js';
import { createConnector } from '../../connectors/config.js';
import { defaultMappingDirs } from '../../connectors/registry.js';
import { ConfigError, type FieldProblem } from '../../core/errors.js';
import type { EntityName } from '../../core/model/entities.js';
import type { FieldCatalog } from '../../core/policy/catalog.js';
import type { PolicyEngine } from '../../core/policy/engine.js';
import { loadPolicyFile, policySecret, storedPolicySecret } from '../../core/policy/load.js';
import { createLogger } from '../../core/logger.js';
import { configError, inspectConfig, type HubConfig } from './load.js';
import type { ConfigFileInput } from './schema.js';
import { checkSyncConfig, ownershipRule, unownedInboundWrites } from '../../queues/sync-check.js';
import { resolveFeeds, type FeedConfig } from '../../queues/feeds/config.js';
import { checkCron } from '../../queues/feeds/cron.js';

type Env = Readonly<Record<string, string | undefined>>;


/**
 * The policy receiver each connector's outbound mappings are bound to: a sync target's `receiver`
 * (default its name); for a connector that is not a target, the receiver of its name if the policy
 * has one (its mappings can be previewed), else none: its mappings deliver nothing, and what they
 * read is checked when it becomes a target.
 */
function receiverOf(targets: Readonly<Record<string, { readonly receiver?: string | undefined }>>, policy: PolicyEngine): (connector: string) => string | undefined {
  return (connector) => {
    const target = targets[connector];
    if (target) return target.receiver ?? connector;
    return policy.receivers().includes(`target:${connector}`) ? connector : undefined;
  };
}

/** What `prepareHub` needs from the options of `createHub`. */
export interface PrepareOptions {
  /** Environment to read (`HUB_PORT`, `HUB_DB`, …); default `process.env`. */
  readonly env?: Env;
  /** Configuration given in code instead of `hub.config.yaml`. */
  readonly config?: ConfigFileInput;
  /** A pino logger to use; default a JSON logger on stdout at the configured level. */
  readonly logger?: Logger;
  /** Prefix of every Redis key and BullMQ queue; default `hub`. */
  readonly redisPrefix?: string;
  /**
   * Connectors by name, replacing or adding to those built from `connectors` in the configuration
   * (embedding hosts and tests hand in their own driver or HTTP client this way).
   */
  readonly connectors?: Readonly<Record<string, Connector>>;
  /** Named transform functions a mapping file may call with `{ custom: { name } }`. */
  readonly transforms?: Readonly<Record<string, CustomTransform>>;
}

/** Everything a hub is made of that can be checked without opening anything. */
export interface PreparedHub {
  readonly config: HubConfig;
  readonly env: Env;
  readonly log: Logger;
  readonly prefix: string;
  readonly catalog: FieldCatalog;
  readonly policy: PolicyEngine;
  readonly mappings: MappingRegistry;
  readonly ownership: Ownership;
  readonly sync: SyncConfig;
  /** The receivables feeds, resolved (paths, secrets, the recipient keys), by name. */
  readonly feeds: ReadonlyMap<string, FeedConfig>;
  /** The configured connectors (built: no connection is open yet) and those handed in. */
  readonly connectors: Map<string, Connector>;
  /** Builds the configured connectors again (after `close()`); they were checked already. */
  rebuildConnectors(): void;
}

/**
 * Reads and checks everything a hub needs before it opens anything: the file and the environment,
 * the policy, the mappings, field ownership, the connectors and their secrets, webhook secrets, the
 * sync section and the feeds. Throws one ConfigError listing every problem; creates nothing on disk then. (On
 * success, a first start creates the policy secret in the data dir.) Warns about inbound mappings
 * that write fields their source does not own.
 */
export function prepareHub(options: PrepareOptions = {}): PreparedHub {
  const env = options.env ?? process.env;
  const inspected = inspectConfig(env, options.config ? { file: options.config } : {});
  if (!inspected.config) throw configError(inspected.problems);
  const config = inspected.config;
  const problems: FieldProblem[] = [...inspected.problems];
  const collect = <T>(check: () => T): T | undefined => {
    try {
      return check();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.errors);
      return undefined;
    }
  };
  const prefixEnv = env['HUB_REDIS_PREFIX'];
  if (prefixEnv !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(prefixEnv)) problems.push({ pointer: 'HUB_REDIS_PREFIX', detail: 'must be 1–64 letters, digits, _, . or -' });
  const document = loadedSpec().document;
  const catalog = fieldCatalog(document);
  // The stored secret only: a first start creates one once everything else is known to be valid.
  // A policy that does not load stops the hub here: it never falls back to allowing.
  const storedSecret = collect(() => storedPolicySecret(env, config.dataDir));
  const policy = collect(() => loadPolicyFile(config.file.policy.file, catalog, storedSecret ?? randomBytes(32), env));
  // Mappings (the connector modules' defaults first) are checked against the model, the connectors'
  // schemas and the policy, all at once.
  // (A mapping folder that does not exist is already a problem of the configuration.)
  const mappings = policy && collect(() => loadMappings(config.file.mappings.dirs.filter((d) => existsSync(d)), { types: fieldTypes(document), required: requiredOnCreate(document), policy, custom: new Map(Object.entries(options.transforms ?? {})), receiverOf: receiverOf(config.file.sync.targets, policy) }, defaultMappingDirs()));
  // Connectors open no connection when built: building them checks their configuration and secrets.
  const connectors = new Map<string, Connector>();
  const buildConnectors = () => {
    for (const [name, c] of Object.entries(config.file.connectors)) {
      if (options.connectors?.[name]) continue;
      const built = collect(() => createConnector(name, c, env));
      if (built) connectors.set(name, built);
    }
    for (const [name, c] of Object.entries(options.connectors ?? {})) connectors.set(name, c);
  };
  buildConnectors();
  const ownership =
    mappings &&
    collect(() =>
      Ownership.load(config.file.ownership, {
        fields: new Map([...catalog].map(([entity, fields]) => [entity, new Set(fields.keys())])),
        systems: new Set([HUB_SYSTEM, ...mappings.connectors(), ...connectors.keys()]),
      }),
    );
  const sync = resolveSyncConfig(config.file.sync, env, problems);
  const feeds = resolveFeeds(
    config.file.feeds,
    { env, base: config.configPath ? dirname(config.configPath) : process.cwd(), source: config.configPath ?? 'config', policy, catalog, timeZone: config.file.finance.timeZone, checkCron },
    problems,
  );
  if (mappings) problems.push(...checkSyncConfig(sync, mappings, connectors, new Set([...inspected.declaredConnectors, ...Object.keys(options.connectors ?? {})])));
  if (problems.length > 0 || !policy || !mappings || !ownership) {
    for (const [name, c] of connectors) if (!options.connectors?.[name]) void c.close().catch(() => undefined);
    throw configError(problems);
  }

  const log = options.logger ?? createLogger(config.file.logging.level);
  // Fields an inbound mapping writes that its source may never set are dropped on every change: say so.
  for (const u of unownedInboundWrites(sync, mappings, ownership)) {
    log.warn(
      { source: u.source, mapping: u.mapping, entity: u.entity, fields: u.fields.map((f) => f.field), rules: u.fields.map((f) => ownershipRule(u.entity, f.field, f.owners)) },
      `the inbound mapping ${u.mapping} writes ${u.fields.map((f) => f.field).join(', ')}, which ${u.source} does not own: ingest drops them (ownership.fields)`,
    );
  }
  return {
    config,
    env,
    log,
    prefix: options.redisPrefix ?? (prefixEnv || 'hub'),
    catalog,
    // Compiled mappings do not keep the policy they were checked against: only its hash keys change here.
    policy: storedSecret ? policy : loadPolicyFile(config.file.policy.file, catalog, policySecret(env, config.dataDir), env),
    mappings,
    ownership,
    sync,
    feeds,
    connectors,
    rebuildConnectors: () => {
      buildConnectors();
      if (problems.length > 0) throw configError(problems);
    },
  };
}
