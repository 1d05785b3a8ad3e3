import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * The target: an ERPNext-like server (Frappe REST, `/api/resource/Customer`) that names documents
 * itself from a naming series (`CUST-00042`), as ERPs do, so that the hub has to keep the returned
 * name as its id link and look a record up by the custom field holding the hub's code
 * (`custom_hub_code`) before creating it. It keeps every document in memory, counts creates per hub
 * code (a duplicate is a second document with the same code), and has a fault switch.
 *
 * Request shapes (connectors/erpnext/erpnext.ts): `GET /api/resource/Customer?filters=[["custom_hub_code","=","C1"]]
 * &fields=[...]&limit_page_length=2` → `{"data":[{name, custom_hub_code}]}`; `POST /api/resource/Customer`
 * with the document → `{"data":{...,"name":"CUST-00001"}}`; `PUT /api/resource/Customer/<name>` →
 * `{"data":{...}}` or 404 `{"exc_type":"DoesNotExistError"}`; `Authorization: token <key>:<secret>`.
 */

export const FAULT_MODES = ['none', 'throttle', 'unavailable', 'hang', 'apply-then-hang', 'apply-then-reset', 'malformed', 'down'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export const TARGET_API_KEY = 'faults-key';
export const TARGET_API_SECRET = 'faults-secret';
export const HUB_CODE_FIELD = 'custom_hub_code';

export interface TargetDoc {
  name: string;
  [field: string]: unknown;
}

export class TargetFake {
  readonly docs = new Map<string, TargetDoc>();
  /** hub code → names of the documents carrying it (more than one: a duplicate). */
  readonly byCode = new Map<string, string[]>();
  readonly counts = { requests: 0, creates: 0, updates: 0, lookups: 0, faulted: 0, applied: 0, refusedAuth: 0 };
  /** When a document last changed (ms since epoch): the convergence check waits for quiet. */
  lastChangeAt = Date.now();
  private series = 0;
  private mode: FaultMode = 'none';
  /** Share of requests the fault hits while a mode is on (1: all). */
  private rate = 1;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<ServerResponse>();
  port = 0;
  /** Delay before answering a write (the write is applied at once): keeps batches in flight longer. */
  delayMs = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get faultMode(): FaultMode {
    return this.mode;
  }

  async listen(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 5_000;
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Turns a fault on (`rate`: share of requests it hits) or off (`none`). `down` closes the port. */
  async setFault(mode: FaultMode, rate = 1): Promise<void> {
    const was = this.mode;
    this.mode = mode;
    this.rate = rate;
    if (mode === 'down' && was !== 'down') await this.close();
    if (mode !== 'down' && was === 'down') await this.listen();
    if (mode !== 'hang' && mode !== 'apply-then-hang') this.releaseHanging();
  }

  private releaseHanging(): void {
    for (const res of this.hanging) res.socket?.destroy();
    this.hanging.clear();
  }

  private faultHits(): boolean {
    return this.mode !== 'none' && Math.random() < this.rate;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.counts.requests++;
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      if (req.headers['authorization'] !== `token ${TARGET_API_KEY}:${TARGET_API_SECRET}`) {
        this.counts.refusedAuth++;
        return json(401, { exc_type: 'AuthenticationError' });
      }
      const url = new URL(req.url ?? '/', 'http://target');
      const isWrite = req.method === 'POST' || req.method === 'PUT';
      const fault = this.faultHits() ? this.mode : 'none';
      // Faults that answer without doing anything.
      if (fault === 'throttle') {
        this.counts.faulted++;
        return json(429, { exc_type: 'TooManyRequestsError' }, { 'retry-after': '1' });
      }
      if (fault === 'unavailable') {
        this.counts.faulted++;
        return json(503, { exc_type: 'ServiceUnavailable' });
      }
      if (fault === 'hang') {
        this.counts.faulted++;
        this.hanging.add(res);
        return;
      }
      let status = 200;
      let answer: unknown;
      try {
        [status, answer] = this.route(req.method ?? 'GET', url, chunks);
      } catch {
        return json(417, { exc_type: 'ValidationError' });
      }
      // Faults that hit after the write was applied: the hub cannot know whether it was.
      if (isWrite && status === 200 && fault !== 'none') {
        this.counts.faulted++;
        if (fault === 'apply-then-reset') return void req.socket.destroy();
        if (fault === 'apply-then-hang') return void this.hanging.add(res);
        if (fault === 'malformed') {
          // Half of them cut JSON, half a well-formed body of the wrong shape.
          if (Math.random() < 0.5) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": {"name": "CUST-');
          return json(200, { message: 'ok' });
        }
      }
      if (isWrite && this.delayMs > 0) setTimeout(() => json(status, answer), this.delayMs);
      else json(status, answer);
    });
  }

  /** The ERPNext resource semantics. Returns [status, body]. */
  private route(method: string, url: URL, chunks: Buffer[]): [number, unknown] {
    const path = url.pathname;
    if (method === 'GET' && path === '/api/method/frappe.auth.get_logged_user') return [200, { message: 'hub@example.com' }];
    if (path === '/api/resource/Customer' && method === 'GET') {
      this.counts.lookups++;
      const filters = JSON.parse(url.searchParams.get('filters') ?? '[]') as [string, string, unknown][];
      let rows = [...this.docs.values()];
      for (const [field, op, value] of filters) {
        if (op !== '=') throw new Error(`unsupported filter ${op}`);
        rows = field === HUB_CODE_FIELD ? (this.byCode.get(String(value)) ?? []).map((n) => this.docs.get(n)!) : rows.filter((d) => d[field] === value);
      }
      const limit = Number(url.searchParams.get('limit_page_length') ?? '20');
      const fields = JSON.parse(url.searchParams.get('fields') ?? '["name"]') as string[];
      const pick = (d: TargetDoc) => (fields.includes('*') ? d : Object.fromEntries(fields.map((f) => [f, d[f] ?? null])));
      return [200, { data: rows.slice(0, limit).map(pick) }];
    }
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
    if (path === '/api/resource/Customer' && method === 'POST') {
      const name = `CUST-${String(++this.series).padStart(5, '0')}`;
      const doc: TargetDoc = { ...body, name, creation: now, modified: now };
      this.docs.set(name, doc);
      const code = doc[HUB_CODE_FIELD];
      if (typeof code === 'string') this.byCode.set(code, [...(this.byCode.get(code) ?? []), name]);
      this.counts.creates++;
      this.counts.applied++;
      this.lastChangeAt = Date.now();
      return [200, { data: doc }];
    }
    const m = /^\/api\/resource\/Customer\/(.+)$/.exec(path);
    if (m && method === 'PUT') {
      const name = decodeURIComponent(m[1]!);
      const doc = this.docs.get(name);
      if (!doc) return [404, { exc_type: 'DoesNotExistError', exception: `Customer ${name} not found` }];
      const oldCode = doc[HUB_CODE_FIELD];
      const next: TargetDoc = { ...doc, ...body, name, modified: now };
      if (next[HUB_CODE_FIELD] !== oldCode) {
        // The hub code moved: keep the index true.
        if (typeof oldCode === 'string') this.byCode.set(oldCode, (this.byCode.get(oldCode) ?? []).filter((n) => n !== name));
        const code = next[HUB_CODE_FIELD];
        if (typeof code === 'string') this.byCode.set(code, [...(this.byCode.get(code) ?? []), name]);
      }
      this.docs.set(name, next);
      this.counts.updates++;
      this.counts.applied++;
      this.lastChangeAt = Date.now();
      return [200, { data: next }];
    }
    return [404, { exc_type: 'DoesNotExistError' }];
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    this.releaseHanging();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
