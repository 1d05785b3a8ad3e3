import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Router } from 'express';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createApiRouter, loadedSpec } from '../openapi/app/app.js';
import { fieldCatalog, fieldTypes, requiredOnCreate } from '../openapi/app/catalog.js';
import { loadMappings, type MappingRegistry } from '../mappings/engine/load.js';
import { HUB_SYSTEM, Ownership } from '../mappings/engine/ownership.js';
import type { PolicyEngine } from './policy/engine.js';
import type { FieldCatalog } from './policy/catalog.js';
import type { CustomTransform } from '../mappings/engine/transforms.js';
import { loadPolicyFile, policySecret } from './policy/load.js';
import { startMaintenance, type MaintenanceHandle } from '../queues/maintenance.js';
import { SyncEngine, type SyncConfig } from '../queues/engine.js';
import type { Connector } from '../connectors/contract.js';
import { createConnector } from '../connectors/config.js';
import { ConfigError } from './errors.js';
import type { EntityName } from './model/entities.js';
import { AuthService } from './auth/auth-service.js';
import { generatePassword } from './auth/password.js';
import { LoginThrottle } from './auth/throttle.js';
import { loadConfig, type HubConfig } from './config/load.js';
import type { ConfigFileInput } from './config/schema.js';
import type { DemoSummary } from './demo/seed.js';
import { UnavailableError } from './errors.js';
import { createLogger } from './logger.js';
import { RecordService } from './records/service.js';
import { connectRedis, type RedisHandle } from './redis.js';
import { Store } from './store/store.js';

/** Roles every installation has, whatever the configuration adds. */
const BUILT_IN_ROLES = ['admin', 'auditor'];

export interface CreateHubOptions {
  /** Environment to read (`HUB_PORT`, `HUB_DB`, …); default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Configuration given in code instead of `hub.config.yaml`. */
  readonly config?: ConfigFileInput;
  /** A pino logger to use; default a JSON logger on stdout at the configured level. */
  readonly logger?: Logger;
  /** Prefix of every Redis key and BullMQ queue; default `hub`. */
  readonly redisPrefix?: string;
  /** Validate every API response against the spec (for tests); default false. */
  readonly validateResponses?: boolean;
  /** Build and serve the HTTP API; false for a workers-only process (`hub worker`, CLI commands): the router answers 503. Default true. */
  readonly serveApi?: boolean;
  /** Run the workers (maintenance, sync delivery, ingest, outbox relay) in this process; default true. */
  readonly runWorkers?: boolean;
  /**
   * Connectors by name, replacing or adding to those built from `connectors` in the configuration
   * (embedding hosts and tests hand in their own driver or HTTP client this way).
   */
  readonly connectors?: Readonly<Record<string, Connector>>;
  /** Named transform functions a mapping file may call with `{ custom: { name } }`. */
  readonly transforms?: Readonly<Record<string, CustomTransform>>;
  /** Where the first admin's generated password is announced; default stderr. */
  readonly announce?: (line: string) => void;
}

export interface Hub {
  /** Validated configuration. */
  readonly config: HubConfig;
  /**
   * The hub's express router (API, docs, health, metrics). Mount it anywhere in a host app; it
   * answers 503 until `start()` has finished.
   */
  readonly router: Router;
  /** Opens the store (migrating it), connects Redis, creates the first admin and demo data. */
  start(): Promise<void>;
  /** Stops workers and closes connections (and the HTTP server, if `listen()` opened one). */
  stop(): Promise<void>;
  /** Serves the router on its own HTTP server; default host and port from the configuration. */
  listen(port?: number, host?: string): Promise<{ url: string; server: Server }>;
  /** The compiled permission policy and the field catalogue it was checked against. */
  readonly policy: PolicyEngine;
  readonly catalog: FieldCatalog;
  /** The loaded, checked and compiled mappings. */
  readonly mappings: MappingRegistry;
  /** Field ownership: which system may change which field, and conflict detection. */
  readonly ownership: Ownership;
  /** The store, once started (for embedding hosts and tests). */
  readonly store: Store;
  readonly records: RecordService;
  readonly auth: AuthService;
  /** What the demo seed created on start (zeros when it did not run). */
  readonly demo: DemoSummary | undefined;
  /** The sync engine, once started. */
  readonly sync: SyncEngine;
}

/** The sync section with secrets resolved from the environment and durations in milliseconds. */
function syncConfig(file: HubConfig['file'], env: Readonly<Record<string, string | undefined>>): SyncConfig {
  const problems: { pointer: string; detail: string }[] = [];
  const targets: SyncConfig['targets'] = Object.fromEntries(
    Object.entries(file.sync.targets).map(([name, t]) => [
      name,
      {
        entities: t.entities as EntityName[],
        batchSize: t.batchSize,
        concurrency: t.concurrency,
        attempts: t.attempts,
        backoffMs: t.backoffMs,
        maxBackoffMs: t.maxBackoffMs,
        rateLimit: t.rateLimit ? { max: t.rateLimit.max, durationMs: Math.round(t.rateLimit.perSeconds * 1000) } : undefined,
        breaker: { failures: t.breaker.failures, cooldownMs: Math.round(t.breaker.cooldownSeconds * 1000) },
        deletes: t.deletes,
        jobLockMs: Math.round(t.jobLockSeconds * 1000),
        lockMs: Math.max(10_000, Math.round(t.jobLockSeconds * 2000)),
        reconcileEveryMs: t.reconcileEveryMinutes === undefined ? undefined : Math.round(t.reconcileEveryMinutes * 60_000),
      },
    ]),
  );
  const sources: SyncConfig['sources'] = Object.fromEntries(
    Object.entries(file.sync.sources).map(([name, s]) => {
      let webhookSecret: string | undefined;
      if (s.webhookSecretEnv) {
        webhookSecret = env[s.webhookSecretEnv];
        if (!webhookSecret) problems.push({ pointer: `/sync/sources/${name}/webhookSecretEnv`, detail: `the environment variable ${s.webhookSecretEnv} is not set` });
      }
      return [name, { entities: s.entities as EntityName[], pollIntervalMs: Math.round(s.pollIntervalSeconds * 1000), pageSize: s.pageSize, jobLockMs: Math.round(s.jobLockSeconds * 1000), deletes: s.deletes, webhookSecret }];
    }),
  );
  if (problems.length > 0) throw new ConfigError('The sync configuration is invalid', problems);
  return { relayIntervalMs: file.sync.relayIntervalMs, targets, sources };
}

/** Creates a hub. Nothing connects until `start()`. */
export function createHub(options: CreateHubOptions = {}): Hub {
  const config = loadConfig(options.env ?? process.env, options.config ? { file: options.config } : {});
  const log = options.logger ?? createLogger(config.file.logging.level);
  const prefixEnv = (options.env ?? process.env)['HUB_REDIS_PREFIX'];
  if (prefixEnv !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(prefixEnv)) {
    throw new ConfigError('The environment is invalid', [{ pointer: '/env/HUB_REDIS_PREFIX', detail: 'must be 1–64 letters, digits, _, . or -' }]);
  }
  const prefix = options.redisPrefix ?? (prefixEnv || 'hub');
  const announce = options.announce ?? ((line: string) => process.stderr.write(line + '\n'));
  // A policy that does not load stops the hub here, before anything listens: it never falls back to allowing.
  const catalog = fieldCatalog(loadedSpec().document);
  const policy = loadPolicyFile(config.file.policy.file, catalog, policySecret(options.env ?? process.env, config.dataDir), options.env ?? process.env);
  const document = loadedSpec().document;
  // Mappings are checked against the model, the connectors' schemas and the policy, all at once.
  const mappings = loadMappings(config.file.mappings.dirs, { types: fieldTypes(document), required: requiredOnCreate(document), policy, custom: new Map(Object.entries(options.transforms ?? {})) });
  const ownership = Ownership.load(config.file.ownership, {
    fields: new Map([...catalog].map(([entity, fields]) => [entity, new Set(fields.keys())])),
    systems: new Set([HUB_SYSTEM, ...mappings.connectors()]),
  });
  const syncSettings = syncConfig(config.file, options.env ?? process.env);
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'hub_' });

  let store: Store | undefined;
  let redis: RedisHandle | undefined;
  let records: RecordService | undefined;
  let auth: AuthService | undefined;
  let inner: Router | undefined;
  let maintenance: MaintenanceHandle | undefined;
  let sync: SyncEngine | undefined;
  const connectors = new Map<string, Connector>();
  let server: Server | undefined;
  let demo: DemoSummary | undefined;
  let starting: Promise<void> | undefined;

  const router = express.Router();
  router.use((req, res, next) => {
    if (inner) return inner(req, res, next);
    res.status(503).type('application/problem+json').send(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'The hub is starting' }));
  });

  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new UnavailableError(`The hub is not started (${what})`);
    return value;
  };

  async function doStart(): Promise<void> {
    store = await Store.open(config.db, config.dataDir, { sqliteSynchronous: config.sqliteSynchronous });
    log.info({ store: store.location }, 'store ready');
    redis = await connectRedis(config.redisUrl, config.dataDir, log);
    const roles = [...new Set([...BUILT_IN_ROLES, ...Object.keys(config.file.roles)])];
    records = new RecordService(store, { quotaOrderTypes: config.file.orders.quotaTypes });
    const throttle = new LoginThrottle(redis.client, `${prefix}:`, config.file.auth.loginThrottle.maxFailures, config.file.auth.loginThrottle.windowSeconds);
    auth = new AuthService(store, records, throttle, { tokenTtlSeconds: config.file.auth.tokenTtlSeconds, roles });
    const password = config.adminPassword ?? generatePassword();
    if (await auth.ensureAdmin(password)) {
      if (config.adminPassword) log.info('created the admin user with the password from HUB_ADMIN_PASSWORD');
      else announce(`\n  Created user "admin" with the generated password: ${password}\n  (shown once; set HUB_ADMIN_PASSWORD to choose it)\n`);
    }
    if (config.demo) {
      // Loaded only when asked for: the demo data set is not part of a production start.
      const { seedDemo } = await import('./demo/seed.js');
      demo = await seedDemo(store, records, auth);
      if (demo.customers > 0) log.info(demo, 'loaded the demo data set');
    }
    if (options.runWorkers !== false) maintenance = await startMaintenance(redis.client, prefix, store, log);
    const env = options.env ?? process.env;
    for (const [name, c] of Object.entries(config.file.connectors)) if (!options.connectors?.[name]) connectors.set(name, createConnector(name, c, env));
    for (const [name, c] of Object.entries(options.connectors ?? {})) connectors.set(name, c);
    const client = redis.client;
    sync = new SyncEngine({
      store,
      records,
      policy,
      mappings,
      ownership,
      log,
      redis: client,
      connection: client,
      subscriber: () => client.duplicate(),
      prefix,
      metrics,
      connectors,
      config: syncSettings,
    });
    await sync.start({ workers: options.runWorkers !== false });
    const s = store;
    const r = redis;
    if (options.serveApi === false) return;
    inner = createApiRouter({
      config,
      store: s,
      records,
      auth,
      policy,
      catalog,
      mappings,
      sync,
      log,
      metrics,
      validateResponses: options.validateResponses ?? false,
      ready: async () => {
        const checks: Record<string, { ok: boolean; detail?: string }> = {};
        try {
          await s.ping();
          checks['store'] = { ok: true };
        } catch {
          checks['store'] = { ok: false, detail: 'the store does not answer' };
        }
        try {
          await r.client.ping();
          checks['redis'] = { ok: true };
        } catch {
          checks['redis'] = { ok: false, detail: 'Redis does not answer' };
        }
        return checks;
      },
    });
  }

  const hub: Hub = {
    config,
    router,
    policy,
    catalog,
    mappings,
    ownership,
    get store() {
      return need(store, 'store');
    },
    get records() {
      return need(records, 'records');
    },
    get auth() {
      return need(auth, 'auth');
    },
    get demo() {
      return demo;
    },
    get sync() {
      return need(sync, 'sync');
    },
    start() {
      starting ??= doStart().catch(async (error: unknown) => {
        await hub.stop().catch(() => undefined);
        starting = undefined;
        throw error;
      });
      return starting;
    },
    async listen(port = config.port, host = config.host) {
      const app: Express = express();
      app.disable('x-powered-by');
      app.use(router);
      server = createServer(app);
      const s = server;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host, () => resolve());
      });
      const address = s.address() as AddressInfo;
      const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
      log.info({ address: url }, 'hub listening');
      return { url, server: s };
    },
    async stop() {
      inner = undefined;
      if (server) {
        const s = server;
        server = undefined;
        s.closeAllConnections?.();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
      await sync?.stop().catch(() => undefined);
      sync = undefined;
      await maintenance?.close().catch(() => undefined);
      maintenance = undefined;
      for (const c of connectors.values()) if (!Object.values(options.connectors ?? {}).includes(c)) await c.close().catch(() => undefined);
      connectors.clear();
      await redis?.stop().catch(() => undefined);
      redis = undefined;
      await store?.close().catch(() => undefined);
      store = undefined;
      starting = undefined;
    },
  };
  return hub;
}
