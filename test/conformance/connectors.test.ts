import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../connectors/config.js';
import { ConnectorError, type Connector, type ExternalRecord } from '../../connectors/contract.js';
import { CONNECTOR_MODULES } from '../../connectors/registry.js';
import { mapped } from '../fixtures/mapped.js';
import { subjects, type Subject } from './subjects.js';

/**
 * One suite over every connector type the hub can be configured with, the way BullMQ runs one
 * adapter suite over every backend: each connector is built as the hub builds it (from its
 * configuration and environment, through `createConnector`) against a real system or a local fake
 * following the system's documented semantics, and must keep the contract: reads page and resume
 * without loss or repetition, upserts answer one outcome per record in order, failures are
 * classified (retryable vs permanent), malformed answers are refused.
 */

const ALL = subjects(process.env);
const REGISTERED_TYPES = CONNECTOR_MODULES.map((m) => m.type);

describe('the conformance suite covers every registered connector', () => {
  it('has a subject (or a stated reason to skip) for each module in the registry', () => {
    // A new connector module is not done until it has a subject here (test/conformance/subjects.ts).
    expect(Object.keys(ALL).sort()).toEqual([...REGISTERED_TYPES].sort());
    for (const [type, s] of Object.entries(ALL)) if (s.unavailable) console.warn(`conformance: ${type} skipped: ${s.unavailable}`);
  });
});

async function rejection(p: Promise<unknown>): Promise<ConnectorError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectorError);
    return error as ConnectorError;
  }
  throw new Error('expected a rejection');
}

for (const [type, subject] of Object.entries(ALL)) {
  // Skipped only where the system cannot run here (SQL Server without MSSQL_URL), and the title says why.
  describe.skipIf(subject.unavailable !== undefined)(`${type} connector conformance${subject.unavailable ? ` (skipped: ${subject.unavailable})` : ''}`, () => conformance(subject));
}

function conformance(s: Subject): void {
  const open: Connector[] = [];
  const build = (which: { config: unknown; env: Record<string, string> } = s.build()): Connector => {
    const c = createConnector(`conf_${s.type}`, which.config as never, which.env);
    open.push(c);
    return c;
  };
  /** Reads from `cursor` until a short page: every record and the last cursor. */
  const readAll = async (c: Connector, cursor: string | null, limit: number) => {
    const records: ExternalRecord[] = [];
    for (let pages = 0; pages < 50; pages++) {
      const page = await c.read(s.entity, cursor, limit);
      records.push(...page.records);
      if (page.cursor !== null) cursor = page.cursor;
      if (page.records.length < limit) return { records, cursor };
    }
    throw new Error('the read never caught up');
  };

  beforeAll(() => s.setup());
  afterAll(async () => {
    for (const c of open) await c.close().catch(() => undefined);
    await s.teardown();
  });

  it('describes the entity as readable and writable', () => {
    const caps = build().describe().entities[s.entity];
    expect(caps).toMatchObject({ read: true, write: true });
  });

  it('check() passes with the right credentials; wrong ones are a permanent error', async () => {
    await expect(build().check()).resolves.toBeUndefined();
    const error = await rejection(build(s.wrongCredentials()).check());
    expect(error.kind).toBe('permanent');
  });

  it('reads every record once across pages, then resumes from the cursor with only what changed', async () => {
    const c = build();
    await s.seed(7, 'R');
    const first = await readAll(c, null, 3);
    const keys = first.records.map((r) => c.keyOf(s.entity, r));
    expect(keys).toHaveLength(7);
    expect(new Set(keys).size).toBe(7);
    expect(first.cursor).not.toBeNull();

    // Caught up: nothing new reads as no records.
    const idle = await c.read(s.entity, first.cursor, 3);
    expect(idle.records.filter((r) => !keys.includes(c.keyOf(s.entity, r)))).toEqual([]);

    // A change and a new record after the cursor are read; nothing else is (re-reads of an overlap window aside).
    await s.touch(keys[2]!);
    await s.seed(1, 'S');
    const resumed = await readAll(c, first.cursor, 3);
    const again = resumed.records.map((r) => c.keyOf(s.entity, r));
    expect(again).toContain(keys[2]);
    expect(again).toHaveLength(2);
    expect(again.filter((k) => !keys.includes(k))).toHaveLength(1);
  });

  it('a cursor it did not issue is a permanent error', async () => {
    const error = await rejection(build().read(s.entity, 'not-a-cursor', 3));
    expect(error.kind).toBe('permanent');
  });

  it('upsert answers one outcome per record, in order; a refused record fails alone', async () => {
    const c = build();
    const before = await s.count();
    const outcomes = await c.upsert(s.entity, [
      { hubId: 'h1', payload: mapped(s.good(1)) },
      { hubId: 'h2', payload: mapped(s.bad()) },
      { hubId: 'h3', payload: mapped(s.good(3)) },
    ]);
    expect(outcomes).toHaveLength(3);
    expect(outcomes[0]).toMatchObject({ ok: true });
    expect(outcomes[1]).toMatchObject({ ok: false, kind: 'permanent' });
    expect(outcomes[2]).toMatchObject({ ok: true });
    expect(await s.count()).toBe(before + 2);
    // The same record again, as delivery sends an update (with the id it was linked to): no second record.
    const id = (outcomes[0] as { externalId: string }).externalId;
    const renamed = s.renamed?.(1) ?? { ...s.good(1), ...('name' in s.good(1) ? { name: 'New 1 renamed' } : { customer_name: 'New 1 renamed' }) };
    const [update] = await c.upsert(s.entity, [{ hubId: 'h1', payload: mapped(renamed), externalId: id }]);
    expect(update).toEqual({ ok: true, externalId: id });
    expect(await s.count()).toBe(before + 2);
  });

  it('a system that does not answer is a retryable failure', async () => {
    const c = build(s.unreachable());
    const error = await rejection(c.read(s.entity, null, 3));
    expect(error.kind).toBe('retryable');
  });

  it.skipIf(!s.malformed)(`refuses a malformed answer as permanent${s.malformedNotApplicable ? ` (not applicable: ${s.malformedNotApplicable})` : ''}`, async () => {
    const c = build();
    s.malformed!(true);
    try {
      const error = await rejection(c.read(s.entity, null, 3));
      expect(error.kind).toBe('permanent');
      const [outcome] = await c.upsert(s.entity, [{ hubId: 'h9', payload: mapped(s.good(9)) }]);
      // A write whose answer cannot be read may have been applied: never "ok", never silently dropped.
      expect(outcome).toMatchObject({ ok: false });
    } finally {
      s.malformed!(false);
    }
  });
}
