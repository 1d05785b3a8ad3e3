import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnector } from '../../connectors/config.js';
import type { Connector, ExternalRecord } from '../../connectors/contract.js';
import { BcFake } from '../fixtures/bc-fake.js';
import { guidOrderKey } from '../fixtures/bc-fake-odata.js';
import { mapped } from '../fixtures/mapped.js';

/**
 * The Business Central connector's reads through runs of equal timestamps, against the fake, which
 * orders ids as SQL Server orders uniqueidentifier values (not as text) and refuses an `or` across two
 * fields as BC does: every record is read once whatever the page size, also when BC's pages are
 * smaller than the page asked for, and a record changed while a tie is being read comes again later.
 */

describe.sequential('Business Central reads through ties', () => {
  const bc = new BcFake();
  let c: Connector;

  beforeAll(async () => {
    await bc.start();
    c = createConnector('bc', bc.config() as never, bc.env());
  });
  afterAll(async () => {
    await c.close();
    await bc.close();
  });

  async function readAll(cursor: string | null, limit: number): Promise<{ keys: string[]; cursor: string | null; reads: number }> {
    const keys: string[] = [];
    for (let reads = 1; reads <= 100; reads++) {
      const page = await c.read('customers', cursor, limit);
      keys.push(...page.records.map((r: ExternalRecord) => c.keyOf('customers', r)));
      cursor = page.cursor ?? cursor;
      if (page.records.length < limit) return { keys, cursor, reads };
    }
    throw new Error('the read never caught up');
  }

  it('reads twelve customers stamped at one instant exactly once, at any page size', async () => {
    bc.company.frozen = true;
    for (let i = 0; i < 12; i++) bc.addCustomer({ number: `T${String(i).padStart(2, '0')}`, displayName: `Tied ${i}` });
    bc.company.frozen = false;
    const ids = bc.records('customers').map((r) => r.id);
    expect(new Set(bc.records('customers').map((r) => r['lastModifiedDateTime'])).size).toBe(1);
    // The server's order is not the ids' text order: a client comparing ids as text would skip or repeat.
    const serverOrder = [...ids].sort((a, b) => (guidOrderKey(a) < guidOrderKey(b) ? -1 : 1));
    expect(serverOrder).not.toEqual([...ids].sort());
    for (const limit of [1, 2, 5, 12, 50]) {
      const { keys } = await readAll(null, limit);
      expect(keys).toEqual(serverOrder);
    }
  });

  it('follows BC\'s next links inside one read when BC pages smaller than asked', async () => {
    bc.serverPageSize = 4;
    try {
      const page = await c.read('customers', null, 10);
      // Pages of 4 are followed until at least 10 records came.
      expect(page.records).toHaveLength(12);
    } finally {
      bc.serverPageSize = 20_000;
    }
  });

  it('a record changed while its tie is read half-way comes again after the tie; a new one too; nothing else', async () => {
    const first = await c.read('customers', null, 5);
    const seen = first.records.map((r) => c.keyOf('customers', r));
    const changed = seen[1]!;
    bc.touch('customers', changed, { displayName: 'Changed while read' });
    const added = bc.addCustomer({ number: 'T99', displayName: 'Added later' }).id;
    const rest = await readAll(first.cursor, 5);
    expect(rest.keys.slice(-2).sort()).toEqual([changed, added].sort());
    expect(new Set([...seen, ...rest.keys]).size).toBe(13);
    expect(rest.keys.filter((k) => seen.includes(k))).toEqual([changed]);
    // Caught up: nothing more.
    expect((await c.read('customers', rest.cursor, 5)).records).toEqual([]);
  });

  it('the fake refuses an or across two fields, as BC does: the connector never sends one', async () => {
    const tokenAnswer = await fetch(`${bc.url}/${'windmill.onmicrosoft.com'}/oauth2/v2.0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: bc.env()['BC_CLIENT_ID']!, client_secret: bc.env()['BC_CLIENT_SECRET']!, scope: 'https://api.businesscentral.dynamics.com/.default' }) });
    const { access_token } = (await tokenAnswer.json()) as { access_token: string };
    const res = await fetch(`${bc.apiRoot}/companies(${bc.company.id})/customers?$filter=${encodeURIComponent("lastModifiedDateTime gt 2026-01-01T00:00:00Z or number gt 'T05'")}`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BadRequest');
    expect(bc.requests.filter((r) => /\bor\b/.test(r.query['$filter'] ?? '') && /lastModifiedDateTime/.test(r.query['$filter'] ?? ''))).toHaveLength(1);
    // A record sent without its link (a create retried after a lost answer) is found by its number, not made twice.
    const [made] = await c.upsert('customers', [{ hubId: 'h', payload: mapped({ number: 'T05', displayName: 'Tied 5 renamed' }) }]);
    expect(made).toMatchObject({ ok: true });
    expect(bc.records('customers').filter((r) => r['number'] === 'T05')).toHaveLength(1);
  });

  it('credentials refused after a first chunk was written keep that chunk\'s outcomes; the rest wait unsent', async () => {
    bc.company.frozen = false;
    let batches = 0;
    const fetch = (async (url: string, init: RequestInit) => {
      const answer = await globalThis.fetch(url, init);
      // The app's permission is withdrawn right after the first $batch.
      if (url.endsWith('/$batch') && ++batches === 1) bc.deny = true;
      return answer;
    }) as never;
    const w = createConnector('bc', bc.config({ batchSize: 1 }) as never, bc.env(), { fetch });
    try {
      const outcomes = await w.upsert('customers', [
        { hubId: 'h1', payload: mapped({ number: 'AUTH-1', displayName: 'First' }) },
        { hubId: 'h2', payload: mapped({ number: 'AUTH-2', displayName: 'Second' }) },
      ]);
      expect(outcomes[0]).toMatchObject({ ok: true });
      expect(outcomes[1]).toMatchObject({ ok: false, kind: 'retryable', code: 'unauthorized', attempted: false });
      expect(bc.byNumber('customers', 'AUTH-1')).toBeDefined();
      expect(bc.byNumber('customers', 'AUTH-2')).toBeUndefined();
    } finally {
      bc.deny = false;
      await w.close();
    }
  });
});
