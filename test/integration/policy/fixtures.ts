/**
 * Shared fixtures of the adversarial policy suite: a test hub whose options the suite controls
 * (policy file, response validation, logger, secret), a small self-contained world of teams,
 * users and records seeded with unique CANARY values in every protected field, and helpers that
 * look for those canaries in any output.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { pino, type Logger } from 'pino';
import supertest from 'supertest';
import { expect } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createHub, type Hub } from '../../../hub/create-hub.js';
import { DEFAULT_ROLES, type ConfigFileInput } from '../../../hub/config/schema.js';
import { ENTITIES, type EntityName, type JsonObject, type StoredRecord } from '../../../core/model/entities.js';
import { DEFAULT_POLICY_PATH } from '../../../core/policy/load.js';
import type { Receiver } from '../../../core/policy/engine.js';
import { receiverFor } from '../../../openapi/app/receiver.js';
import { specAndValidator } from '../../../openapi/app/app.js';
import { toProblems } from '../../../openapi/app/validation.js';
import { ADMIN_PASSWORD, REDIS_URL, deleteRedisPrefix, freshStoreUrl } from '../../helpers.js';

/** A fixed policy secret (≥ 32 characters) so tests can build the same engine as the hub. */
export const POLICY_SECRET = 'adversarial-policy-suite-secret-0123456789abcdef';

export type Headers = Record<string, string>;

export interface PolicyHub {
  readonly hub: Hub;
  readonly api: supertest.Agent;
  readonly admin: Headers;
  readonly dataDir: string;
  readonly prefix: string;
  login(username: string, password: string): Promise<string>;
  close(): Promise<void>;
}

export interface PolicyHubOptions {
  /** Policy file; default the shipped default policy. */
  readonly policyFile?: string;
  /** Extra configuration (merged over `policy.file`). */
  readonly config?: ConfigFileInput;
  /**
   * Validate every response against the spec. Off where a receiver sees orders without prices:
   * the spec's OrderLine requires `unitPrice`, so such projections are answered with 500 in a
   * validating hub (the bug is shown on its own in quality.test.ts).
   */
  readonly validateResponses?: boolean;
  readonly logger?: Logger;
  readonly env?: Record<string, string>;
}

/** Starts a hub like test/helpers.ts does, with the policy options this suite needs. */
export async function startPolicyHub(options: PolicyHubOptions = {}): Promise<PolicyHub> {
  const place = await freshStoreUrl('sqlite');
  const prefix = `test-policy-${randomUUID()}`;
  const config: ConfigFileInput = { ...(options.config ?? {}), ...(options.policyFile ? { policy: { file: options.policyFile } } : {}) };
  const hub = createHub({
    env: { HUB_DB: place.url, HUB_DATA_DIR: place.dataDir, REDIS_URL, HUB_ADMIN_PASSWORD: ADMIN_PASSWORD, HUB_POLICY_SECRET: POLICY_SECRET, ...options.env },
    config,
    logger: options.logger ?? pino({ level: 'silent' }),
    redisPrefix: prefix,
    validateResponses: options.validateResponses ?? true,
    runWorkers: false,
  });
  try {
    await hub.start();
  } catch (error) {
    await place.cleanup();
    throw error;
  }
  const app = express();
  app.use('/', hub.router);
  const api = supertest.agent(app);
  const adminToken = (await hub.auth.login('admin', ADMIN_PASSWORD, '127.0.0.1')).token;
  return {
    hub,
    api,
    admin: { Authorization: `Bearer ${adminToken}` },
    dataDir: place.dataDir,
    prefix,
    login: async (username, password) => (await hub.auth.login(username, password, '127.0.0.1')).token,
    close: async () => {
      await hub.stop();
      await deleteRedisPrefix(prefix);
      await place.cleanup();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Temporary policy files

const policyDir = mkdtempSync(join(tmpdir(), 'hub-policy-suite-'));
// Removed when the test worker exits (each test file runs in its own worker).
process.once('exit', () => rmSync(policyDir, { recursive: true, force: true }));

/** Writes a policy (YAML text or an object) to a fresh temporary file and returns its path. */
export function writePolicy(policy: string | object, name = 'policy'): string {
  const path = join(policyDir, `${name}-${randomUUID()}.yaml`);
  writeFileSync(path, typeof policy === 'string' ? policy : stringifyYaml(policy));
  return path;
}

/** The default policy as a plain object (anchors resolved), to modify. */
export function defaultPolicyObject(): Record<string, any> {
  return parseYaml(readFileSync(DEFAULT_POLICY_PATH, 'utf8'), { maxAliasCount: 1000 }) as Record<string, any>;
}

export function defaultPolicyText(): string {
  return readFileSync(DEFAULT_POLICY_PATH, 'utf8');
}

/** Hub configuration whose role list has the default roles plus the given ones. */
export function rolesConfig(extra: Record<string, string>): ConfigFileInput {
  return { roles: { ...DEFAULT_ROLES, ...extra } };
}

// ---------------------------------------------------------------------------------------------
// Canary helpers

/** Fails listing every canary found in `text` (values, not positions, so the message says what leaked). */
export function expectNoCanary(text: string, canaries: Iterable<string>, where = 'output'): void {
  const found = [...canaries].filter((c) => text.includes(c));
  expect(found, `canaries leaked in ${where}`).toEqual([]);
}

export function bodyText(res: { text?: string; body?: unknown }): string {
  return typeof res.text === 'string' && res.text.length > 0 ? res.text : JSON.stringify(res.body ?? null);
}

/**
 * A refusal without what differs per request anyway: the body's `instance` (request id) and the
 * weak ETag express computes over that body. Everything else must match exactly.
 */
export function problemShape(res: { status: number; headers: Record<string, string | undefined>; body: Record<string, unknown> }): unknown {
  const { instance, ...rest } = res.body;
  return { status: res.status, contentType: res.headers['content-type'], contentLength: res.headers['content-length'], hasEtag: res.headers['etag'] !== undefined, instance: typeof instance === 'string' ? instance.replace(/[0-9a-f-]{36}$/, '<request-id>') : instance, body: rest };
}

/** Header names of a response, without those that differ per request anyway. */
export function headerNames(res: { headers: Record<string, unknown> }): string[] {
  return Object.keys(res.headers)
    .filter((h) => !['date', 'x-request-id'].includes(h))
    .sort();
}

/** Validates a body against the spec's response schema of an operation; returns the problems. */
export function specProblems(operationId: string, status: number, body: unknown): string[] {
  const check = specAndValidator().validator.byOperation.get(operationId)?.responses[String(status)];
  if (!check) return [`no ${status} response for ${operationId} in the spec`];
  return check(body) ? [] : toProblems(check.errors ?? [], '').map((p) => `${p.pointer} ${p.detail}`);
}

// ---------------------------------------------------------------------------------------------
// The seeded world

export const USER_KEYS = ['lead', 'repA', 'repB', 'repC', 'qual', 'qrep', 'purch', 'ar', 'staff', 'auditor'] as const;
export type UserKey = (typeof USER_KEYS)[number];
export const OWNERS = ['repA', 'repB', 'repC', 'qrep'] as const;
export type Owner = (typeof OWNERS)[number];

export interface SeededUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  readonly roles: readonly string[];
  readonly teamId: string | null;
  token: string;
  headers: Headers;
}

export interface World {
  readonly teams: { north: string; northEast: string; south: string };
  readonly users: Record<UserKey, SeededUser>;
  readonly product: JsonObject & { id: string };
  readonly customers: Record<Owner, JsonObject & { id: string }>;
  readonly orders: Record<Owner, JsonObject & { id: string }>;
  readonly receivables: Record<Owner, JsonObject & { id: string }>;
  readonly payments: Record<Owner, JsonObject & { id: string }>;
  /** Protected customer values (everything but code and name) per owner. */
  readonly customerCanaries: Record<Owner, string[]>;
  /** Order price values (unit price, discount, tax rate, line total, totals, payment terms) per owner. */
  readonly priceCanaries: Record<Owner, string[]>;
  /** listPrice and cost of the product. */
  readonly productCanaries: string[];
  /** Receivable and payment values per owner. */
  readonly financeCanaries: Record<Owner, string[]>;
  /** Every canary of the world. */
  readonly all: string[];
  /** Everything quality and staff must never see. */
  readonly notForQuality: string[];
  /** Passwords of the seeded users (never in logs or the audit trail). */
  readonly passwords: string[];
}

const ROLES_OF: Record<UserKey, string[]> = {
  lead: ['team_lead'],
  repA: ['sales_rep'],
  repB: ['sales_rep'],
  repC: ['sales_rep'],
  qual: ['quality'],
  qrep: ['quality', 'sales_rep'],
  purch: ['purchasing'],
  ar: ['ar_clerk'],
  staff: ['staff'],
  auditor: ['auditor'],
};

/** The canary customer input of owner number n (1–4): every field but code and name is protected somewhere. */
export function customerInput(n: number, ownerId: string, teamId: string | null): JsonObject {
  return {
    code: `CUST-${n}`,
    name: `Visible Customer ${n}`,
    kind: 'company',
    taxId: `DE77700011${n}`,
    phone: `+49 30 777700${n}`,
    email: `canary.mail${n}@hidden-mail.example`,
    website: `https://canary-web${n}.hidden.example`,
    billingAddress: { line1: `Canarystrasse ${n}77`, city: `Canaryville${n}`, postalCode: `PC-CAN-${n}`, country: 'DE' },
    shippingAddress: { line1: `Shipcanary Weg ${n}88`, city: `Shipcanaryville${n}`, country: 'AT' },
    industry: `CANARY-INDUSTRY-${n}`,
    creditLimit: `9${n}771.11`,
    paymentTerms: `NET-CANARY-C${n}`,
    currency: 'EUR',
    ownerId,
    ...(teamId ? { teamId } : {}),
  };
}

/** Protected values of a customer as the admin sees it (everything but id, version, code, name). */
export function customerSecrets(c: JsonObject): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(c)) {
    if (['id', 'version', 'code', 'name', 'currency', 'status', 'kind', 'createdAt', 'updatedAt', 'ownerId', 'teamId'].includes(k)) continue;
    if (v && typeof v === 'object') for (const s of Object.values(v)) if (typeof s === 'string' && s.length >= 5 && s !== 'DE' && s !== 'AT') out.push(s);
    if (typeof v === 'string') out.push(v);
  }
  return out;
}

/** Price values of an order as the admin sees it. */
export function orderPrices(o: JsonObject): string[] {
  const out = new Set<string>();
  for (const f of ['subtotal', 'taxTotal', 'total', 'paymentTerms']) if (typeof o[f] === 'string') out.add(o[f] as string);
  for (const line of (o['lines'] as JsonObject[] | undefined) ?? []) {
    for (const f of ['unitPrice', 'discount', 'taxRate', 'lineTotal']) if (typeof line[f] === 'string') out.add(line[f] as string);
  }
  return [...out].filter((v) => v.length >= 5);
}

async function created(res: { status: number; body: unknown }, what: string): Promise<JsonObject & { id: string }> {
  if (res.status !== 201) throw new Error(`seeding ${what} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as JsonObject & { id: string };
}

/** Creates a user as admin and logs them in. */
export async function createUser(h: PolicyHub, username: string, roles: readonly string[], teamId: string | null): Promise<SeededUser> {
  const password = `${username}-password-123`;
  const res = await h.api.post('/api/v1/users').set(h.admin).send({ username, displayName: username, roles, password, ...(teamId ? { teamId } : {}) });
  const user = await created(res, `user ${username}`);
  const token = await h.login(username, password);
  return { id: user.id, username, password, roles, teamId, token, headers: { Authorization: `Bearer ${token}` } };
}

export async function createTeam(h: PolicyHub, name: string, parentTeamId?: string): Promise<string> {
  const res = await h.api.post('/api/v1/teams').set(h.admin).send({ name, ...(parentTeamId ? { parentTeamId } : {}) });
  return (await created(res, `team ${name}`)).id;
}

/**
 * Teams North ⊃ NorthEast and South; a team lead of North; reps A (North), B (NorthEast), C (South);
 * quality; qrep (quality + sales_rep, South); purchasing; ar_clerk; staff; auditor. Each of repA, repB,
 * repC, qrep owns one customer, one order, one receivable and one payment, all full of canaries.
 */
export async function seedWorld(h: PolicyHub, options: { users?: readonly UserKey[] } = {}): Promise<World> {
  const north = await createTeam(h, 'North');
  const northEast = await createTeam(h, 'NorthEast', north);
  const south = await createTeam(h, 'South');
  const teamOf: Record<UserKey, string | null> = {
    lead: north, repA: north, repB: northEast, repC: south, qual: null, qrep: south, purch: null, ar: null, staff: null, auditor: null,
  };
  const wanted = new Set<UserKey>([...(options.users ?? USER_KEYS), ...OWNERS]);
  const users = {} as Record<UserKey, SeededUser>;
  for (const key of USER_KEYS) {
    if (!wanted.has(key)) continue;
    users[key] = await createUser(h, `user.${key.toLowerCase()}`, ROLES_OF[key], teamOf[key]);
  }
  const product = await created(
    await h.api.post('/api/v1/products').set(h.admin).send({ sku: 'SKU-VISIBLE-1', name: 'Visible Valve', description: 'visible description', uom: 'pcs', listPrice: '8881.11', cost: '7771.11', currency: 'EUR' }),
    'product',
  );
  const customers = {} as World['customers'];
  const orders = {} as World['orders'];
  const receivables = {} as World['receivables'];
  const payments = {} as World['payments'];
  const customerCanaries = {} as World['customerCanaries'];
  const priceCanaries = {} as World['priceCanaries'];
  const financeCanaries = {} as World['financeCanaries'];
  let n = 0;
  for (const owner of OWNERS) {
    n++;
    const u = users[owner];
    customers[owner] = await created(await h.api.post('/api/v1/customers').set(h.admin).send(customerInput(n, u.id, u.teamId)), `customer ${n}`);
    customerCanaries[owner] = customerSecrets(customers[owner]);
    orders[owner] = await created(
      await h.api
        .post('/api/v1/orders')
        .set(h.admin)
        .send({
          number: `SO-${n}`,
          customerId: customers[owner].id,
          ownerId: u.id,
          ...(u.teamId ? { teamId: u.teamId } : {}),
          orderDate: '2026-11-02',
          deliveryDate: '2026-11-20',
          currency: 'EUR',
          paymentTerms: `NET-CANARY-O${n}`,
          lines: [{ productId: product.id, quantity: '2', unitPrice: `333${n}.17`, discount: `13.579${n}`, taxRate: `17.432${n}`, description: `visible line ${n}` }],
        }),
      `order ${n}`,
    );
    priceCanaries[owner] = orderPrices(orders[owner]);
    receivables[owner] = await created(
      await h.api
        .post('/api/v1/receivables')
        .set(h.admin)
        .send({ number: `INV-${n}`, customerId: customers[owner].id, orderId: orders[owner].id, ownerId: u.id, ...(u.teamId ? { teamId: u.teamId } : {}), issueDate: '2026-11-03', dueDate: '2026-12-03', currency: 'EUR', amount: `555${n}.19`, paidAmount: `11${n}.07` }),
      `receivable ${n}`,
    );
    payments[owner] = await created(
      await h.api
        .post('/api/v1/payments')
        .set(h.admin)
        .send({ customerId: customers[owner].id, receivableId: receivables[owner].id, ownerId: u.id, ...(u.teamId ? { teamId: u.teamId } : {}), date: '2026-11-05', amount: `11${n}.07`, currency: 'EUR', method: 'bank_transfer', reference: `PAYREF-CANARY-${n}` }),
      `payment ${n}`,
    );
    financeCanaries[owner] = [
      receivables[owner]['amount'] as string,
      receivables[owner]['balance'] as string,
      payments[owner]['reference'] as string,
      // paidAmount and payment amount are the same short value (11n.07): still distinctive.
      payments[owner]['amount'] as string,
    ];
  }
  const productCanaries = ['8881.11', '7771.11'];
  const all = [...Object.values(customerCanaries).flat(), ...Object.values(priceCanaries).flat(), ...productCanaries, ...Object.values(financeCanaries).flat()];
  // Guard the suite itself: a canary inside another would make the checks ambiguous.
  const uniq = [...new Set(all)];
  const nested = uniq.flatMap((a) => uniq.filter((b) => a !== b && b.includes(a)).map((b) => `${a} ⊂ ${b}`));
  if (nested.length > 0) throw new Error(`canaries overlap: ${nested.join(', ')}`);
  return {
    teams: { north, northEast, south },
    users,
    product,
    customers,
    orders,
    receivables,
    payments,
    customerCanaries,
    priceCanaries,
    productCanaries,
    financeCanaries,
    all: uniq,
    notForQuality: uniq,
    passwords: Object.values(users).map((u) => u.password),
  };
}

/** The stored record (as the hub keeps it, before any projection). */
export async function stored(h: PolicyHub, entity: EntityName, id: string): Promise<StoredRecord> {
  const r = await h.hub.store.records.get(ENTITIES[entity], id);
  if (!r) throw new Error(`${entity} ${id} not stored`);
  return r;
}

/** The policy receiver of a token, built exactly as the API builds it for a request. */
export async function receiverOf(h: PolicyHub, token: string): Promise<Receiver> {
  return receiverFor(await h.hub.auth.authenticate(token), h.hub.store);
}

/** Every page of a list as one array (follows nextCursor). */
export async function listAll(h: PolicyHub, path: string, headers: Headers, query: Record<string, string> = {}): Promise<JsonObject[]> {
  const out: JsonObject[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: { items: JsonObject[]; nextCursor: string | null } } = await h.api
      .get(path)
      .query({ ...query, limit: '100', ...(cursor ? { cursor } : {}) })
      .set(headers);
    if (res.status !== 200) throw new Error(`list ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    out.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

/** Price field names quality must never receive, at any depth. */
export const PRICE_FIELDS = ['unitPrice', 'discount', 'taxRate', 'lineTotal', 'subtotal', 'taxTotal', 'total', 'paymentTerms', 'listPrice', 'cost'] as const;

/** Every key anywhere in a JSON value. */
export function allKeys(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => allKeys(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      allKeys(v, out);
    }
  }
  return out;
}
