import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, isRunning, spawnGroup, stopProcess, until, waitForOutput, type Spawned } from './services.js';
import { customerSourceFiles } from '../integration/sync-fixtures.js';
import { HUB_CODE_FIELD, TARGET_API_KEY, TARGET_API_SECRET } from './target.js';

/**
 * The hub under test: `hub serve` / `hub worker` processes from the built CLI (dist/), on the
 * scenario's store database (private MariaDB) and Redis prefix (private Redis), reading the ERP
 * table (connector `erp`, polled with a watermark) and delivering customers to the ERPNext-like
 * target (connector `target`, type erpnext, documents named by the target, looked up by
 * `custom_hub_code`). Also a small API client (admin login, PATCH, status, metrics).
 */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const HUB_BIN = join(ROOT, 'dist/hub/cli/hub.js');
export const ADMIN_PASSWORD = 'faults-admin-password';
const POLICY_SECRET = 'faults-policy-secret-0123456789abcdef0123456789';

const FILES: Record<string, string> = {
  // The ERP table's customers (customer_no, name, currency), as the integration tests map them.
  ...customerSourceFiles('erp'),
  'target/schema.yaml': `
connector: target
links: [customer]
entities:
  Customer:
    fields:
      name: { type: string }
      customer_name: { type: string, required: true }
      customer_type: { type: string }
      customer_group: { type: string }
      territory: { type: string }
      default_currency: { type: string }
      mobile_no: { type: string }
      ${HUB_CODE_FIELD}: { type: string }
`,
  // No \`name\`: the target names the document; the hub's code goes to the lookup field.
  'target/customer.out.yaml': `
name: target.customer.out
connector: target
entity: customer
direction: out
externalEntity: Customer
fields:
  customer_name: { from: name }
  customer_type: { const: Company }
  customer_group: { const: Commercial }
  territory: { const: All Territories }
  default_currency: { from: currency }
  mobile_no: { from: phone }
  ${HUB_CODE_FIELD}: { from: code }
`,
};

export interface HubSettings {
  /** Delivery attempts before a dead letter (the product default is 8). */
  readonly attempts?: number;
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly batchSize?: number;
  readonly timeoutMs?: number;
  readonly pollIntervalSeconds?: number;
}

export interface HubEnvironment {
  readonly dir: string;
  readonly storeUrl: string;
  readonly redisUrl: string;
  readonly prefix: string;
  readonly erpUrl: string;
  readonly targetUrl: string;
}

/** Writes the mapping folder and the configuration; returns the config file. */
export function writeHubConfig(env: HubEnvironment, settings: HubSettings = {}): string {
  const mappings = join(env.dir, 'mappings');
  for (const [name, text] of Object.entries(FILES)) {
    mkdirSync(join(mappings, name, '..'), { recursive: true });
    writeFileSync(join(mappings, name), text);
  }
  const config = {
    logging: { level: 'warn' },
    mappings: { dirs: [mappings] },
    connectors: {
      erp: {
        type: 'mysql',
        urlEnv: 'FAULTS_ERP_URL',
        overlapMs: 2000,
        tables: { customers: { table: 'erp_customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'currency'] } },
      },
      target: { type: 'erpnext', baseUrl: env.targetUrl, apiKeyEnv: 'FAULTS_TARGET_KEY', apiSecretEnv: 'FAULTS_TARGET_SECRET', timeoutMs: settings.timeoutMs ?? 2000, lookupField: HUB_CODE_FIELD },
    },
    sync: {
      relayIntervalMs: 500,
      targets: {
        target: {
          entities: ['customer'],
          receiver: 'erpnext',
          batchSize: settings.batchSize ?? 50,
          concurrency: 2,
          attempts: settings.attempts ?? 8,
          backoffMs: settings.backoffMs ?? 300,
          maxBackoffMs: settings.maxBackoffMs ?? 5000,
          breaker: { failures: 5, cooldownSeconds: 3 },
          jobLockSeconds: 5,
        },
      },
      sources: { erp: { entities: ['customer'], pollIntervalSeconds: settings.pollIntervalSeconds ?? 1, pageSize: 500, jobLockSeconds: 5 } },
    },
  };
  const file = join(env.dir, 'hub.config.json');
  // JSON is YAML.
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export interface HubProcess extends Spawned {
  readonly role: 'serve' | 'api' | 'worker';
  readonly apiUrl: string | null;
}

/** Starts and tracks the hub processes of one scenario. */
export class HubProcesses {
  readonly all: HubProcess[] = [];
  private n = 0;
  constructor(readonly env: HubEnvironment, readonly configFile: string) {}

  private childEnv(port: number): NodeJS.ProcessEnv {
    return {
      ...process.env,
      NODE_OPTIONS: '--max-old-space-size=256',
      HUB_CONFIG: this.configFile,
      HUB_DB: this.env.storeUrl,
      HUB_DATA_DIR: join(this.env.dir, 'data'),
      REDIS_URL: this.env.redisUrl,
      HUB_REDIS_PREFIX: this.env.prefix,
      HUB_ADMIN_PASSWORD: ADMIN_PASSWORD,
      HUB_POLICY_SECRET: POLICY_SECRET,
      HUB_HOST: '127.0.0.1',
      HUB_PORT: String(port),
      HUB_DEMO: '0',
      FAULTS_ERP_URL: this.env.erpUrl,
      FAULTS_TARGET_KEY: TARGET_API_KEY,
      FAULTS_TARGET_SECRET: TARGET_API_SECRET,
    };
  }

  /** Spawns a process without waiting for it to be ready (see `ready`). */
  async spawn(role: HubProcess['role']): Promise<HubProcess> {
    mkdirSync(join(this.env.dir, 'data'), { recursive: true });
    const port = role === 'worker' ? 0 : await freePort();
    const args = role === 'serve' ? ['serve'] : role === 'api' ? ['serve', '--no-workers'] : ['worker'];
    const name = `${role}${++this.n}`;
    const p = spawnGroup(name, process.execPath, [HUB_BIN, ...args], { env: this.childEnv(port), logFile: join(this.env.dir, `${name}.log`) });
    const proc: HubProcess = Object.assign(p, { role, apiUrl: role === 'worker' ? null : `http://127.0.0.1:${port}` });
    this.all.push(proc);
    return proc;
  }

  async ready(p: HubProcess, ms = 60_000): Promise<HubProcess> {
    await waitForOutput(p, p.role === 'worker' ? /hub: worker running/ : /hub: serving on /, ms);
    return p;
  }

  async start(role: HubProcess['role'], ms?: number): Promise<HubProcess> {
    return this.ready(await this.spawn(role), ms);
  }

  running(role?: HubProcess['role']): HubProcess[] {
    return this.all.filter((p) => isRunning(p) && (role === undefined || p.role === role));
  }

  async stopAll(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await Promise.all(this.running().map((p) => stopProcess(p, signal, 20_000)));
  }

  /** Lines of the processes' output that look like errors (for the report), most frequent first. */
  errorSummary(limit = 8): string[] {
    const counts = new Map<string, number>();
    for (const p of this.all) {
      for (const line of p.output().split('\n')) {
        if (!/"level":(50|60)|error|Error/.test(line)) continue;
        let key = line.slice(0, 200);
        try {
          const j = JSON.parse(line) as Record<string, unknown>;
          key = `${String(j['msg'] ?? '')} ${String((j['err'] as Record<string, unknown> | undefined)?.['message'] ?? j['code'] ?? '')}`.slice(0, 200);
        } catch {
          // not JSON
        }
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([k, n]) => `${n}× ${k}`);
  }
}

// ---------------------------------------------------------------- API client

export interface ApiResult {
  readonly status: number;
  readonly body: any;
}

export class HubApi {
  private token = '';
  constructor(public baseUrl: string) {}

  async login(ms = 30_000): Promise<void> {
    this.token = await until('admin login', async () => {
      const res = await fetch(`${this.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }), signal: AbortSignal.timeout(5000) });
      if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { token: string }).token;
    }, ms, 500);
  }

  async call(method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<ApiResult> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (metrics)
    }
    return { status: res.status, body: parsed };
  }

  async metrics(timeoutMs = 5000): Promise<string> {
    const res = await fetch(`${this.baseUrl}/metrics`, { headers: { authorization: `Bearer ${this.token}` }, signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) throw new Error(`metrics ${res.status}`);
    return res.text();
  }
}
