/**
 * Policy projection benchmark: `npm run bench -- policy`.
 *
 * Projects a realistic order (19 top-level fields, 10 lines of 8 fields) through the real policy
 * engine for several receivers and compares with a hand-written projection producing the same
 * output. The last line printed is one JSON object with the figures.
 */
import { makeBenchOrder } from './orders.js';
import { deepStrictEqual } from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { EntityName, JsonObject, JsonValue } from '../core/model/entities.js';
import { PolicyEngine, type Receiver } from '../core/policy/engine.js';
import { loadPolicyFile } from '../core/policy/load.js';
import { fieldCatalog } from '../core/model/spec-catalog.js';
import { loadSpec } from '../openapi/app/spec.js';
import { describe, environment, measure, measureAll, type CaseResult } from './harness.js';

const GOAL = 300_000;
const ENTITY: EntityName = 'order';
const POOL = 64;
const LINES = 10;
const REP_ID = 'usr_rep_0001';

/** Role of the bench policy: rows all; most logistics fields allowed, owner/team and all prices denied (not named), paymentTerms masked, customerId and lines.sku hashed. */
const MIXED_ROLE = 'bench_mixed';
const benchPolicy = {
  version: 1,
  roles: {
    [MIXED_ROLE]: {
      order: {
        rows: 'all',
        read: {
          allow: ['number', 'type', 'countsTowardQuota', 'status', 'orderDate', 'deliveryDate', 'currency', 'createdAt', 'updatedAt', 'lines.productId', 'lines.description', 'lines.quantity'],
          mask: { paymentTerms: 'redact' },
          hash: ['customerId', 'lines.sku'],
        },
      },
    },
  },
};

const principal = (roles: readonly string[], userId: string | null = null, teamId: string | null = null): Receiver => ({
  kind: 'principal',
  roles,
  userId,
  teamId,
  subtree: new Set(teamId ? [teamId] : []),
});

// ---------------------------------------------------------------- records

// ---------------------------------------------------------------- hand-written baseline

/** Written independently of core/policy/values.ts: same key derivation and encoding, plain node:crypto. */
function handWrittenProjection(secret: Buffer, cached = false): (record: JsonObject) => JsonObject {
  const key = createHmac('sha256', secret).update(`receiver:role:${MIXED_ROLE}`).digest();
  const raw = (v: JsonValue): string => 'h1:' + createHmac('sha256', key).update(typeof v === 'string' ? v : JSON.stringify(v)).digest('base64url');
  const memo = new Map<string, string>();
  const hash = !cached
    ? raw
    : (v: JsonValue): string => {
        const k = typeof v === 'string' ? v : JSON.stringify(v);
        let h = memo.get(k);
        if (h === undefined) {
          h = raw(v);
          if (memo.size >= 50_000) memo.clear();
          memo.set(k, h);
        }
        return h;
      };
  const line = (v: JsonValue): JsonValue => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
    const o: JsonObject = {};
    if (v['productId'] !== undefined) o['productId'] = v['productId'];
    const sku = v['sku'];
    if (sku !== undefined) o['sku'] = sku === null ? null : hash(sku);
    if (v['description'] !== undefined) o['description'] = v['description'];
    if (v['quantity'] !== undefined) o['quantity'] = v['quantity'];
    return o;
  };
  const copy = ['number'] as const;
  const after = ['type', 'status', 'orderDate', 'deliveryDate', 'currency'] as const;
  return (r) => {
    const out: JsonObject = {};
    if (r['countsTowardQuota'] !== undefined) out['countsTowardQuota'] = r['countsTowardQuota'];
    if (r['id'] !== undefined) out['id'] = r['id'];
    if (r['version'] !== undefined) out['version'] = r['version'];
    if (r['createdAt'] !== undefined) out['createdAt'] = r['createdAt'];
    if (r['updatedAt'] !== undefined) out['updatedAt'] = r['updatedAt'];
    for (const f of copy) if (r[f] !== undefined) out[f] = r[f];
    const customerId = r['customerId'];
    if (customerId !== undefined) out['customerId'] = customerId === null ? null : hash(customerId);
    for (const f of after) if (r[f] !== undefined) out[f] = r[f];
    const terms = r['paymentTerms'];
    if (terms !== undefined) out['paymentTerms'] = terms === null ? null : '***';
    const lines = r['lines'];
    if (lines !== undefined) out['lines'] = Array.isArray(lines) ? lines.map(line) : lines === null ? null : line(lines);
    return out;
  };
}

// ---------------------------------------------------------------- run

/** Something cheap read from every result, so no projection can be skipped. */
const touch = (r: JsonObject | undefined): number => (r === undefined ? 0 : ((r['lines'] as JsonValue[] | undefined)?.length ?? 1));

export function run(): void {
  const catalog = fieldCatalog(loadSpec().document);
  const secret = Buffer.from('b'.repeat(32));
  const mixedEngine = PolicyEngine.load(benchPolicy, catalog, secret, 'bench');
  const defaultEngine = loadPolicyFile(undefined, catalog, secret);
  const handWritten = handWrittenProjection(secret);
  const handWrittenCached = handWrittenProjection(secret, true);
  // 8,192 orders × 11 distinct hashed values = 90k values, more than the engine's 50k hash cache: all misses.
  const UNIQUE_POOL = 8192;
  const uniqueRecords = Array.from({ length: UNIQUE_POOL }, (_, n) => makeBenchOrder(n, { lines: LINES, ownerId: REP_ID, unique: true }));

  const records = Array.from({ length: POOL }, (_, n) => makeBenchOrder(n, { lines: LINES, ownerId: REP_ID }));
  const mask = POOL - 1;
  const first = records[0] ?? makeBenchOrder(0, { lines: LINES, ownerId: REP_ID });
  const top = catalog.get(ENTITY);
  const topFields = top?.size ?? 0;
  const lineFields = top?.get('lines')?.size ?? 0;
  if (Object.keys(first).length !== topFields) throw new Error(`bench order has ${Object.keys(first).length} top-level fields, the catalogue ${topFields}: update makeOrder`);

  const mixed = principal([MIXED_ROLE]);
  const quality = principal(['quality']);
  const salesRep = principal(['sales_rep'], REP_ID, 'team_north');

  // Correctness, once, before timing: the engine's mixed projection equals the hand-written one.
  for (const r of records) {
    const engineOut = mixedEngine.project(mixed, ENTITY, r);
    if (engineOut === undefined) throw new Error('mixed receiver cannot see the bench order');
    deepStrictEqual({ ...engineOut }, handWritten(r), 'engine projection differs from the hand-written baseline');
    if (defaultEngine.project(quality, ENTITY, r) === undefined) throw new Error('quality cannot see the bench order');
    const rep = defaultEngine.project(salesRep, ENTITY, r);
    if (rep === undefined || rep['total'] !== r['total']) throw new Error('sales_rep does not see its own order in full');
  }

  const env = environment();
  console.log(`policy projection: order with ${topFields} top-level fields (${lineFields} per line, ${LINES} lines), pool of ${POOL} records; node ${env.node}, ${env.cpus} CPUs`);
  console.log(`  mixed role: allow 12 fields, deny ownerId/teamId and all prices, mask paymentTerms (redact), hash customerId and lines.sku (${1 + LINES} HMACs per record)`);

  const pick = (i: number): JsonObject => records[i & mask] ?? first;
  const results: CaseResult[] = measureAll([
    { name: 'mixed', label: 'engine, mixed allow/deny/mask/hash', fn: (i) => touch(mixedEngine.project(mixed, ENTITY, pick(i))) },
    { name: 'quality', label: 'engine, default policy, quality', fn: (i) => touch(defaultEngine.project(quality, ENTITY, pick(i))) },
    { name: 'salesRepOwned', label: 'engine, default policy, sales_rep (own record)', fn: (i) => touch(defaultEngine.project(salesRep, ENTITY, pick(i))) },
    { name: 'mixedUniqueValues', label: 'engine, mixed, every hashed value new', fn: (i) => touch(mixedEngine.project(mixed, ENTITY, uniqueRecords[i % UNIQUE_POOL] ?? first)) },
    { name: 'handWrittenCached', label: 'hand-written, hashes memoised (baseline)', fn: (i) => touch(handWrittenCached(pick(i))) },
    { name: 'handWritten', label: 'hand-written, hashing every value', fn: (i) => touch(handWritten(pick(i))) },
  ]);
  for (const r of results) console.log(describe(r, 'records'));

  // Context for the mixed figure: what one HMAC-SHA256 costs here (the mixed rule needs 1 + LINES per record).
  const hmacKey = createHmac('sha256', secret).update(`receiver:role:${MIXED_ROLE}`).digest();
  const skus = records.flatMap((r) => (r['lines'] as JsonObject[]).map((l) => String(l['sku'])));
  const hmac = measure('hmac', 'node:crypto createHmac, one value', (i) => createHmac('sha256', hmacKey).update(skus[i % skus.length] ?? '').digest('base64url').length, { rounds: 3, roundSeconds: 0.4 });
  console.log(describe(hmac, 'HMACs'));
  console.log(`  => without the engine's per-key hash cache, ${1 + LINES} HMACs per record would cap the mixed case at ~${Math.round(hmac.perSecond / (1 + LINES)).toLocaleString('en-US')} records/s (see mixedUniqueValues)`);

  const rps = Object.fromEntries(results.map((r) => [r.name, Math.round(r.perSecond)])) as Record<string, number>;
  const mixedRate = rps['mixed'] ?? 0;
  const ratio = mixedRate / (rps['handWrittenCached'] ?? 1);
  console.log(`  engine mixed / hand-written with the same memoisation (baseline): ${ratio.toFixed(3)}; goal ${GOAL.toLocaleString('en-US')} records/s for mixed: ${mixedRate >= GOAL ? 'met' : 'NOT met'}`);
  console.log(JSON.stringify({ bench: 'policy', recordsPerSecond: rps, ratioToHandWritten: Number(ratio.toFixed(3)), goal: GOAL, meetsGoal: mixedRate >= GOAL, node: env.node, cpus: env.cpus }));
}
