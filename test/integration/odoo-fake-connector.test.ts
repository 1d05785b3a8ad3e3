import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector } from '../../connectors/contract.js';
import { createOdooConnector } from '../../connectors/odoo/connector.js';
import type { OdooProtocol } from '../../connectors/odoo/rpc.js';
import { ODOO_API_KEY, ODOO_DB, ODOO_LOGIN, ODOO_PASSWORD, OdooFake } from '../fixtures/odoo-fake.js';
import { rejection } from '../fixtures/rejection.js';

/**
 * The Odoo connector against the local Odoo fake, over both protocols (the same tests loop over them):
 * the whole-second cursor under Odoo's microsecond stamps, session expiry, throttling, permissions.
 */

const PROTOCOLS: readonly OdooProtocol[] = ['jsonrpc', 'json2'];

for (const protocol of PROTOCOLS) {
  describe.sequential(`Odoo connector over ${protocol} against the fake`, () => {
    const odoo = new OdooFake();
    const connectors: Connector[] = [];
    const connect = (extra: { overlapSeconds?: number; password?: string; apiKey?: string; database?: string } = {}) => {
      const c = createOdooConnector({
        baseUrl: odoo.url,
        protocol,
        database: extra.database ?? ODOO_DB,
        overlapSeconds: extra.overlapSeconds ?? 0,
        ...(protocol === 'jsonrpc' ? { login: ODOO_LOGIN, password: extra.password ?? ODOO_PASSWORD } : { apiKey: extra.apiKey ?? ODOO_API_KEY }),
      });
      connectors.push(c);
      return c;
    };
    const readAll = async (c: Connector, cursor: string | null, limit: number) => {
      const ids: unknown[] = [];
      for (;;) {
        const page = await c.read('res.partner', cursor, limit);
        ids.push(...page.records.map((r) => r['id']));
        if (page.cursor !== null) cursor = page.cursor;
        if (page.records.length < limit) return { ids, cursor };
      }
    };
    const customer = (name: string) => odoo.insert('res.partner', { name, is_company: true, customer_rank: 1 });

    beforeAll(() => odoo.start());
    afterAll(async () => {
      for (const c of connectors) await c.close();
      await odoo.close();
    });

    it('reads every record of a busy second once, though its ids are not in stamp order', async () => {
      odoo.orm.stepMicros = 90_000;
      const made = ['A', 'B', 'C', 'D', 'E'].map((n) => customer(`${protocol} ${n}`));
      // The first two change again later in the same second: stamp order is C, D, E, A, B.
      odoo.update('res.partner', made[0]!.id, { phone: '1' });
      odoo.update('res.partner', made[1]!.id, { phone: '2' });
      expect(new Set(made.map((p) => String(odoo.get('res.partner', p.id)!['write_date']).slice(0, 19))).size).toBe(1);
      const { ids } = await readAll(connect(), null, 2);
      expect([...ids].sort()).toEqual(made.map((p) => p.id).sort());
      expect(ids).toHaveLength(5);
      odoo.orm.stepMicros = 1_000_317;
    });

    it('re-reads the window once caught up with overlapSeconds, catching a change stamped in the second already read', async () => {
      odoo.orm.stepMicros = 50_000;
      const a = customer(`${protocol} late`);
      const b = customer(`${protocol} later`);
      const plain = await readAll(connect(), null, 50);
      const windowed = await readAll(connect({ overlapSeconds: 1 }), null, 50);
      // Changed in the same second as the cursor's, with a lower id than the last one read.
      odoo.update('res.partner', a.id, { phone: '3' });
      expect(String(odoo.get('res.partner', a.id)!['write_date']).slice(0, 19)).toBe(String(odoo.get('res.partner', b.id)!['write_date']).slice(0, 19));
      expect((await readAll(connect(), plain.cursor, 50)).ids).not.toContain(a.id);
      expect((await readAll(connect({ overlapSeconds: 1 }), windowed.cursor, 50)).ids).toContain(a.id);
      odoo.orm.stepMicros = 1_000_317;
    });

    it('goes on through a session that expired once (jsonrpc logs in again); throttling is retryable with Retry-After', async () => {
      const c = connect();
      await c.count!('res.partner', null);
      const logins = odoo.logins;
      odoo.expireSessions(1);
      if (protocol === 'jsonrpc') {
        expect(await c.count!('res.partner', null)).toBeGreaterThan(0);
        expect(odoo.logins).toBe(logins + 1);
      } else {
        odoo.expireSessions(0);
      }
      odoo.rateLimit(1, 2);
      expect(await rejection(c.read('res.partner', null, 5))).toMatchObject({ kind: 'retryable', code: 'connector_rate_limited', retryAfterMs: 2000 });
      expect((await c.read('res.partner', null, 5)).records.length).toBeGreaterThan(0);
    });

    it('check(): passes; says wrong credentials, missing permission', async () => {
      await expect(connect().check()).resolves.toBeUndefined();
      const wrong = await rejection(connect(protocol === 'jsonrpc' ? { password: 'nope' } : { apiKey: 'nope' }).check());
      expect(wrong).toMatchObject({ kind: 'permanent', code: 'connector_unauthorized' });
      odoo.orm.denyRead.add('res.partner');
      try {
        expect(await rejection(connect().check())).toMatchObject({ kind: 'permanent', code: 'connector_forbidden' });
        // A read meeting AccessError is permanent, with the model named and no record value.
        const error = await rejection(connect().read('res.partner', null, 5));
        expect(error).toMatchObject({ kind: 'permanent', code: 'connector_forbidden' });
      } finally {
        odoo.orm.denyRead.delete('res.partner');
      }
      if (protocol === 'jsonrpc') expect(await rejection(connect({ database: 'nodb' }).check())).toMatchObject({ kind: 'permanent', code: 'connector_database' });
    });

    it('refuses a malformed answer and writes nothing', async () => {
      const c = connect();
      await c.count!('res.partner', null);
      const before = odoo.records('res.partner').length;
      odoo.fault = 'malformed';
      try {
        expect(await rejection(c.read('res.partner', null, 5))).toMatchObject({ kind: 'permanent' });
        const [outcome] = await c.upsert('res.partner', [{ hubId: 'm1', payload: { ref: `M-${protocol}`, name: 'Malformed' } as never }]);
        expect(outcome).toMatchObject({ ok: false });
      } finally {
        odoo.fault = 'none';
      }
      expect(odoo.records('res.partner')).toHaveLength(before);
    });
  });
}
