import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Router } from 'express';
import type { Registry } from 'prom-client';
import type { MappingRegistry } from '../mappings/engine/load.js';
import type { Ownership } from '../mappings/engine/ownership.js';
import type { PolicyEngine } from '../core/policy/engine.js';
import type { FieldCatalog } from '../core/policy/catalog.js';
import type { MaintenanceHandle } from '../queues/maintenance.js';
import type { SyncEngine } from '../queues/engine.js';
import type { FeedService } from '../queues/feeds/service.js';
import { ENTITIES } from '../core/model/entities.js';
import type { AuthService } from '../core/auth/auth-service.js';
import type { HubConfig } from './config/load.js';
import { prepareHub, type PrepareOptions } from './config/prepare.js';
import type { DemoSummary } from '../core/demo/seed.js';
import { UnavailableError } from '../core/errors.js';
import type { RecordService } from '../core/records/service.js';
import type { RedisHandle } from '../core/redis.js';
import type { Store } from '../core/store/store.js';
import { answerClientError, HTTP_SERVER_OPTIONS } from '../openapi/app/client-error.js';

/** Roles every installation has, whatever the configuration adds. */
const BUILT_IN_ROLES = ['admin', 'auditor'];

/** The options `prepareHub` checks (env, config, logger, Redis prefix, connectors, transforms), and: */
export interface CreateHubOptions extends PrepareOptions {
  /** Validate every API response against the spec (for tests); default false. */
  readonly validateResponses?: boolean;
  /** Build and serve the HTTP API; false for a workers-only process (`hub worker`, CLI commands): the router answers 503. Default true. */
  readonly serveApi?: boolean;
  /** Run the workers (maintenance, sync delivery, ingest, outbox relay) in this process; default true. */
  readonly runWorkers?: boolean;
  /**
   * Create the first admin (and, with `HUB_DEMO=1`, the demo data) on start; default true. One-shot
   * commands (the CLI's `dlq`, `conflicts`, …) pass false: they never create users.
   */
  readonly bootstrap?: boolean;
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
  /** The receivables feeds (runs, deliveries, signing keys), once started. */
  readonly feeds: FeedService;
}

/** Creates a hub: checks everything (see `prepareHub`), opens nothing. Nothing connects until `start()`. */
export function createHub(options: CreateHubOptions = {}): Hub {
  const prepared = prepareHub(options);
  const { config, log, prefix, catalog, policy, mappings, ownership, connectors } = prepared;
  const syncSettings = prepared.sync;
  const announce = options.announce ?? ((line: string) => process.stderr.write(line + '\n'));
  let metrics: Registry | undefined;

  let store: Store | undefined;
  let redis: RedisHandle | undefined;
  let records: RecordService | undefined;
  let auth: AuthService | undefined;
  let inner: Router | undefined;
  let maintenance: MaintenanceHandle | undefined;
  let sync: SyncEngine | undefined;
  let feeds: FeedService | undefined;
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

  /**
   * Creates the first admin unless there is one. Processes started together on an empty store race
   * here: the one whose insert wins announces the password; the others find the admin it created and
   * go on, saying nothing (their generated password was never stored).
   */
  async function bootstrapAdmin(s: Store, a: AuthService): Promise<void> {
    const { generatePassword } = await import('../core/auth/password.js');
    const password = config.adminPassword ?? generatePassword();
    let created: boolean;
    try {
      created = await a.ensureAdmin(password);
    } catch (error) {
      if (!(await s.records.findByNaturalKey(ENTITIES.user, 'admin'))) throw error;
      created = false;
    }
    if (!created) return;
    if (config.adminPassword) log.info('created the admin user with the password from HUB_ADMIN_PASSWORD');
    else announce(`\n  Created user "admin" with the generated password: ${password}\n  (shown once; set HUB_ADMIN_PASSWORD to choose it)\n`);
  }

  async function doStart(): Promise<void> {
    // Loaded here, not when the module is: a one-shot CLI command that needs none of it stays quick.
    const [{ Store }, { connectRedis }, { RecordService }, { AuthService }, { LoginThrottle }, { SyncEngine }, { Registry, collectDefaultMetrics }] = await Promise.all([
      import('../core/store/store.js'),
      import('../core/redis.js'),
      import('../core/records/service.js'),
      import('../core/auth/auth-service.js'),
      import('../core/auth/throttle.js'),
      import('../queues/engine.js'),
      options.serveApi === false ? { Registry: undefined, collectDefaultMetrics: undefined } : import('prom-client'),
    ]);
    // Metrics are served by the API (/metrics); a process without it keeps none.
    if (!metrics && Registry && collectDefaultMetrics) {
      metrics = new Registry();
      collectDefaultMetrics({ register: metrics, prefix: 'hub_' });
    }
    store = await Store.open(config.db, config.dataDir, { sqliteSynchronous: config.sqliteSynchronous });
    log.info({ store: store.location }, 'store ready');
    redis = await connectRedis(config.redisUrl, config.dataDir, log);
    const roles = [...new Set([...BUILT_IN_ROLES, ...Object.keys(config.file.roles)])];
    records = new RecordService(store, { quotaOrderTypes: config.file.orders.quotaTypes });
    const throttle = new LoginThrottle(redis.client, `${prefix}:`, config.file.auth.loginThrottle.maxFailures, config.file.auth.loginThrottle.windowSeconds);
    auth = new AuthService(store, records, throttle, { tokenTtlSeconds: config.file.auth.tokenTtlSeconds, roles });
    if (options.bootstrap !== false) await bootstrapAdmin(store, auth);
    if (config.demo && options.bootstrap !== false) {
      // Loaded only when asked for: the demo data set is not part of a production start.
      const { seedDemo } = await import('../core/demo/seed.js');
      const { businessDate } = await import('../core/finance/aging.js');
      demo = await seedDemo(store, records, auth, { today: businessDate(new Date(), config.file.finance.timeZone) });
      if (demo.customers > 0) log.info(demo, 'loaded the demo data set');
    }
    if (options.runWorkers !== false) {
      const { startMaintenance } = await import('../queues/maintenance.js');
      maintenance = await startMaintenance(redis.client, prefix, store, log);
    }
    // Closed by a previous stop(): build them again (they were checked when the hub was created).
    if (connectors.size === 0) prepared.rebuildConnectors();
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
      ...(metrics ? { metrics } : {}),
      connectors,
      config: syncSettings,
    });
    await sync.start({ workers: options.runWorkers !== false });
    const [{ FeedService }, { KeyRing }] = await Promise.all([import('../queues/feeds/service.js'), import('../core/feeds/key-ring.js')]);
    const feedService = new FeedService({ store, policy, log, dataDir: config.dataDir, feeds: prepared.feeds, keys: KeyRing.of(config.dataDir), connection: client, prefix });
    feeds = feedService;
    // A feed's dead letters (target feed:<name>) are replayed by the feeds: the run's archived bytes again.
    sync.deadLetters.replayWith(FeedService.letterPrefix, (letter, by) => feedService.replayLetter(letter, by));
    await feedService.start({ workers: options.runWorkers !== false });
    sync.onReschedule(() => feedService.reschedule());
    const s = store;
    const r = redis;
    if (options.serveApi === false) return;
    const { createApiRouter } = await import('../openapi/app/app.js');
    inner = createApiRouter({
      config,
      store: s,
      records,
      auth,
      policy,
      catalog,
      mappings,
      sync,
      feeds: feedService,
      log,
      metrics: metrics!, // created above: this process serves the API
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
    get feeds() {
      return need(feeds, 'feeds');
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
      server = createServer(HTTP_SERVER_OPTIONS, app);
      // Refusals of Node's own parser (headers too large, malformed HTTP) answer problem+json too.
      server.on('clientError', answerClientError);
      const s = server;
      await new Promise<void>((resolve, reject) => {
        s.once('error', (error: NodeJS.ErrnoException) => {
          server = undefined;
          const which = `port ${port} on ${host}${port === config.port && host === config.host ? ' (HUB_PORT, HUB_HOST)' : ''}`;
          if (error.code === 'EADDRINUSE') reject(new UnavailableError(`port ${port} on ${host} is in use${port === config.port ? ' (HUB_PORT)' : ''}`));
          else if (error.code === 'EACCES') reject(new UnavailableError(`${which}: permission denied (ports below 1024 need privileges)`));
          else if (error.code === 'EADDRNOTAVAIL') reject(new UnavailableError(`${which}: no such address on this machine`));
          else reject(error);
        });
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
      await feeds?.stop().catch(() => undefined);
      feeds = undefined;
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
