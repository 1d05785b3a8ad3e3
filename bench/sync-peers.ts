/** The systems around the hub in the sync benchmarks: a MariaDB source table, a local HTTP batch sink, and the mapping files. */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPool, type Pool } from 'mysql2/promise';
import { mappingDir as writeFiles } from '../test/fixtures/files.js';
import { MYSQL_SERVER_URL } from './sync-util.js';

// ---------------------------------------------------------------- MariaDB source

export interface SourceDatabase {
  readonly url: string;
  readonly name: string;
  readonly pool: Pool;
  drop(): Promise<void>;
}

/** A fresh, empty database (as test/helpers.ts createTestDatabase); `drop()` removes it. */
export async function createDatabase(): Promise<SourceDatabase> {
  const name = `hub_bench_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = createPool({ uri: MYSQL_SERVER_URL, connectionLimit: 1 });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const url = `${MYSQL_SERVER_URL.replace(/\/$/, '')}/${name}`;
  const pool = createPool({ uri: url, connectionLimit: 2, timezone: 'Z', dateStrings: false });
  return {
    url,
    name,
    pool,
    drop: async () => {
      await pool.end().catch(() => undefined);
      const p = createPool({ uri: MYSQL_SERVER_URL, connectionLimit: 1 });
      await p.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await p.end();
    },
  };
}

const CURRENCIES = ['EUR', 'EUR', 'EUR', 'CHF', 'USD', 'GBP', 'JPY', 'SEK'] as const;
const NAMES = ['Müller & Söhne GmbH', 'Acme Corporation', 'Łódź Logistyka Sp. z o.o.', 'Smith & Jones Ltd', 'Société Générale d’Outillage', 'Zoë Ångström'] as const;

/** The external key of source row `n` (1-based); the sink parses the number back. */
export const customerNo = (n: number) => `C${String(n).padStart(8, '0')}`;
export const customerNumber = (no: unknown): number => (typeof no === 'string' && no.startsWith('C') ? Number(no.slice(1)) : NaN);

/**
 * Creates `erp_customers` and fills it with `n` rows in multi-row INSERTs of `insertBatch`. The rows
 * share a watermark in runs of 7 (so keyset paging has ties to break by id).
 */
export async function fillCustomers(db: SourceDatabase, n: number, insertBatch: number, progress?: (done: number) => void): Promise<void> {
  await db.pool.query(`CREATE TABLE erp_customers (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    customer_no VARCHAR(64) NOT NULL UNIQUE,
    name VARCHAR(200) NOT NULL,
    currency CHAR(3) NOT NULL,
    email VARCHAR(254),
    modified_at DATETIME(3) NOT NULL,
    INDEX erp_customers_modified (modified_at, id)
  ) ENGINE=InnoDB`);
  const base = Date.UTC(2024, 0, 1);
  const conn = await db.pool.getConnection();
  try {
    for (let start = 1; start <= n; start += insertBatch) {
      const end = Math.min(n, start + insertBatch - 1);
      const values: string[] = [];
      const params: unknown[] = [];
      for (let i = start; i <= end; i++) {
        values.push('(?,?,?,?,?)');
        params.push(customerNo(i), `${NAMES[i % NAMES.length]} ${i}`, CURRENCIES[i % CURRENCIES.length], `buyer.${i}@example-${i % 97}.com`, new Date(base + Math.floor(i / 7) * 1000));
      }
      await conn.query(`INSERT INTO erp_customers (customer_no, name, currency, email, modified_at) VALUES ${values.join(',')}`, params);
      progress?.(end);
    }
  } finally {
    conn.release();
  }
}

// ---------------------------------------------------------------- HTTP sink

export interface SinkRecord {
  readonly customer_no?: unknown;
  readonly name?: unknown;
  readonly [field: string]: unknown;
}

export interface Sink {
  readonly url: string;
  /** Records received since the last reset. */
  readonly received: number;
  readonly requests: number;
  /** Record numbers (of `customerNo`) seen at least once since the last reset; duplicates counted. */
  readonly distinct: number;
  readonly duplicates: number;
  reset(expected: number): void;
  close(): Promise<void>;
}

/**
 * A local batch endpoint: `POST /batch` with `{records:[...]}` answers `{results:[{id}...]}` (the
 * record's customer_no), refusing nothing. Counts records; marks each customer number in a bitmap
 * (no per-record allocation that would weigh on the process RSS). `onRecords` sees each batch with
 * its receipt time (performance.now()).
 */
export async function startSink(onRecords?: (records: readonly SinkRecord[], at: number) => void): Promise<Sink> {
  let received = 0;
  let requests = 0;
  let distinct = 0;
  let duplicates = 0;
  let seen = new Uint8Array(0);
  const mark = (no: unknown) => {
    const k = customerNumber(no);
    if (!Number.isInteger(k) || k < 0 || k >= seen.length) return;
    if (seen[k]) duplicates++;
    else {
      seen[k] = 1;
      distinct++;
    }
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== '/batch') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      let records: SinkRecord[];
      try {
        records = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { records: SinkRecord[] }).records;
        if (!Array.isArray(records)) throw new Error('no records');
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad body"}');
        return;
      }
      requests++;
      received += records.length;
      const results = new Array<{ id: unknown }>(records.length);
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        mark(r.customer_no);
        results[i] = { id: r.customer_no };
      }
      onRecords?.(records, at);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get received() {
      return received;
    },
    get requests() {
      return requests;
    },
    get distinct() {
      return distinct;
    },
    get duplicates() {
      return duplicates;
    },
    reset(expected: number) {
      received = 0;
      requests = 0;
      distinct = 0;
      duplicates = 0;
      seen = new Uint8Array(expected + 1);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------- mappings

/** A fresh directory holding the given files (relative name → text): the tests' helper. */
export const mappingDir = (files: Record<string, string>): string => writeFiles(files, 'hub-bench-mappings-');

const ERP_SCHEMA = `
connector: erp
links: [customer]
entities:
  customers:
    fields:
      customer_no: { type: string, required: true }
      name: { type: string, required: true }
      currency: { type: string }
      email: { type: string }
`;
const ERP_CUSTOMER_IN = `
name: erp.customer.in
connector: erp
entity: customer
direction: in
externalEntity: customers
fields:
  code: { from: customer_no }
  name: { from: name }
  currency: { from: currency }
  email: { from: email }
`;
const SINK_SCHEMA = `
connector: sink
links: [customer]
entities:
  customers:
    fields:
      customer_no: { type: string, required: true }
      name: { type: string, required: true }
      currency: { type: string }
      email: { type: string }
`;
// The sink target is bound to the default policy's erpnext receiver (sync.targets.sink.receiver), which sees code, name, currency and email of every customer.
const SINK_CUSTOMER_OUT = `
name: sink.customer.out
connector: sink
entity: customer
direction: out
externalEntity: customers
fields:
  customer_no: { from: code }
  name: { from: name }
  currency: { from: currency }
  email: { from: email }
`;

export interface SyncFiles {
  readonly dir: string;
  cleanup(): void;
}

/** The bench's mapping directory: `erp` (source, customer in) and `sink` (target, customer out). */
export function syncMappings(options: { erp: boolean }): SyncFiles {
  const files: Record<string, string> = { 'sink/schema.yaml': SINK_SCHEMA, 'sink/customer.out.yaml': SINK_CUSTOMER_OUT };
  if (options.erp) Object.assign(files, { 'erp/schema.yaml': ERP_SCHEMA, 'erp/customer.in.yaml': ERP_CUSTOMER_IN });
  const dir = mappingDir(files);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The sink connector: the HTTP batch endpoint for customers. */
export function sinkConnector(sinkUrl: string, maxBatch: number) {
  return { type: 'http' as const, baseUrl: sinkUrl, entities: { customers: { batch: { path: '/batch', recordsField: 'records', resultsField: 'results', idField: 'id', maxBatch } } } };
}
