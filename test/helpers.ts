import type { Connector } from '../connectors/contract.js';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createPool } from 'mysql2/promise';
import pg from 'pg';
import { pino } from 'pino';
import supertest from 'supertest';
import express from 'express';
import { createHub, type Hub } from '../hub/create-hub.js';
import type { ConfigFileInput } from '../hub/config/schema.js';

/** MySQL / MariaDB server for tests (no database in the URL); override with HUB_TEST_MYSQL_URL. */
export const MYSQL_SERVER_URL = process.env['HUB_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306';
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const ADMIN_PASSWORD = 'admin-password-for-tests';
export const STORE_KINDS = ['sqlite', 'mysql'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** A fresh, empty MySQL database; `drop()` removes it. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `hub_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const pool = createPool({ uri: MYSQL_SERVER_URL, connectionLimit: 1 });
  await pool.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await pool.end();
  return {
    url: `${MYSQL_SERVER_URL.replace(/\/$/, '')}/${name}`,
    drop: async () => {
      const p = createPool({ uri: MYSQL_SERVER_URL, connectionLimit: 1 });
      await p.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await p.end();
    },
  };
}

/** PostgreSQL server for tests (no database in the URL; trust auth as postgres); override with HUB_TEST_PG_URL. */
export const PG_SERVER_URL = process.env['HUB_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432';

/** A fresh, empty PostgreSQL database (UTF8); `drop()` removes it, ending any session still in it. */
export async function createPgTestDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `hub_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: `${PG_SERVER_URL.replace(/\/$/, '')}/postgres` });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}" ENCODING 'UTF8' TEMPLATE template0`);
  return {
    url: `${PG_SERVER_URL.replace(/\/$/, '')}/${name}`,
    name,
    drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** A store URL of the given kind, in a fresh place, with its clean-up. */
export async function freshStoreUrl(kind: StoreKind): Promise<{ url: string; dataDir: string; cleanup: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-test-'));
  if (kind === 'sqlite') return { url: `sqlite:${join(dataDir, 'hub.sqlite')}`, dataDir, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
  const db = await createTestDatabase();
  return {
    url: db.url,
    dataDir,
    cleanup: async () => {
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestHub {
  readonly hub: Hub;
  readonly api: supertest.Agent;
  readonly adminToken: string;
  readonly prefix: string;
  login(username: string, password: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts a hub on a fresh store and Redis prefix, with responses validated against the spec. */
export interface TestHubOptions {
  store?: StoreKind;
  config?: ConfigFileInput;
  env?: Record<string, string>;
  mountPath?: string;
  /** Run the workers (sync engine, maintenance) in the test hub; default false. */
  workers?: boolean;
  connectors?: Record<string, Connector>;
}

export async function startTestHub(options: TestHubOptions = {}): Promise<TestHub> {
  const place = await freshStoreUrl(options.store ?? 'sqlite');
  const prefix = `test-${randomUUID()}`;
  const hub = createHub({
    env: { HUB_DB: place.url, HUB_DATA_DIR: place.dataDir, REDIS_URL, HUB_ADMIN_PASSWORD: ADMIN_PASSWORD, ...options.env },
    ...(options.config ? { config: options.config } : {}),
    logger: pino({ level: 'silent' }),
    redisPrefix: prefix,
    validateResponses: true,
    runWorkers: options.workers ?? false,
    ...(options.connectors ? { connectors: options.connectors } : {}),
  });
  await hub.start();
  const app = express();
  app.use(options.mountPath ?? '/', hub.router);
  const api = supertest.agent(app);
  const login = async (username: string, password: string) => {
    const res = await api.post(`${options.mountPath ?? ''}/api/v1/auth/login`).send({ username, password });
    if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return (res.body as { token: string }).token;
  };
  // Straight through the service: a test hub may refuse the test's own address by design.
  const adminToken = (await hub.auth.login('admin', ADMIN_PASSWORD, '127.0.0.1')).token;
  return {
    hub,
    api,
    adminToken,
    prefix,
    login,
    close: async () => {
      await hub.stop();
      await deleteRedisPrefix(prefix);
      await place.cleanup();
    },
  };
}

export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
