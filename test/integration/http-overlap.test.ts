import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { connectorsConfigSchema } from '../../connectors/config.js';
import { createHttpClient } from '../../connectors/http/client.js';
import { createHttpConnector, decodeCursor, moveBackModified, type ModifiedFormat } from '../../connectors/http/http-connector.js';
import { offlineWithNock } from '../fixtures/nock.js';

/**
 * The HTTP connector's overlap window, the same rule as the SQL connectors': once the reader has
 * caught up, the next read starts `overlapMs` before the high-water mark, so a row committed late
 * with an older `modified` (a long transaction, a clock behind) is still read.
 */

const BASE = 'https://crm.example.com';

offlineWithNock();

const row = (id: string, modified: string) => ({ id, name: `Customer ${id}`, updated_at: modified });

function connector(overlapMs: number, modifiedFormat: ModifiedFormat = { style: 'iso' }) {
  return createHttpConnector({
    name: 'crm',
    client: createHttpClient({ baseUrl: BASE }),
    overlapMs,
    entities: {
      customers: {
        list: { path: '/v1/customers', recordsField: 'items', modifiedField: 'updated_at', tieBreakerField: 'id', modifiedFormat, since: { param: 'updated_since' }, paging: { style: 'offset', offsetParam: 'offset', limitParam: 'limit' }, pageSize: 10 },
      },
    },
  });
}

const T1 = '2026-12-01T10:00:00.000Z';
const T2 = '2026-12-01T10:00:30.000Z';
const LATE = '2026-12-01T10:00:10.000Z'; // committed after the first read, stamped before its high-water mark
const T3 = '2026-12-01T10:02:00.000Z';

describe('HTTP overlap window', () => {
  it('re-reads the window once caught up, so a row committed late with an older modified is not skipped', async () => {
    const crm = connector(60_000);
    const scope = nock(BASE)
      .get('/v1/customers')
      .query({ offset: '0', limit: '10' })
      .reply(200, { items: [row('A', T1), row('B', T2)] })
      // Caught up at (T2, B): the next read asks from T2 − 60 s, and the late row is there.
      .get('/v1/customers')
      .query({ updated_since: '2026-12-01T09:59:30.000Z', offset: '0', limit: '10' })
      .reply(200, { items: [row('A', T1), row('L', LATE), row('B', T2), row('C', T3)] });
    const first = await crm.read('customers', null, 10);
    expect(first.records.map((r) => r['id'])).toEqual(['A', 'B']);
    expect(decodeCursor(first.cursor!)).toEqual({ modified: T2, key: 'B', caughtUp: true });
    const second = await crm.read('customers', first.cursor, 10);
    // The window's rows again (ingest drops what is unchanged), the late one, and the new one.
    expect(second.records.map((r) => r['id'])).toEqual(['A', 'L', 'B', 'C']);
    expect(decodeCursor(second.cursor!)).toEqual({ modified: T3, key: 'C', caughtUp: true });
    scope.done();
  });

  it('without a window the late row is never read (what the window is for)', async () => {
    const crm = connector(0);
    const scope = nock(BASE)
      .get('/v1/customers')
      .query({ offset: '0', limit: '10' })
      .reply(200, { items: [row('A', T1), row('B', T2)] })
      .get('/v1/customers')
      .query({ updated_since: T2, offset: '0', limit: '10' })
      .reply(200, { items: [row('B', T2), row('C', T3)] });
    const first = await crm.read('customers', null, 10);
    const second = await crm.read('customers', first.cursor, 10);
    expect(second.records.map((r) => r['id'])).toEqual(['C']);
    scope.done();
  });

  it('a full page inside the window keeps the high-water mark and goes on from where the re-read got to', async () => {
    const crm = connector(60_000);
    const caughtUp = Buffer.from(JSON.stringify({ m: T2, k: 'B', c: 1 })).toString('base64url');
    const scope = nock(BASE)
      .get('/v1/customers')
      .query({ updated_since: '2026-12-01T09:59:30.000Z', offset: '0', limit: '2' })
      .reply(200, { items: [row('A', T1), row('L', LATE)] })
      .get('/v1/customers')
      .query({ updated_since: LATE, offset: '0', limit: '2' })
      .reply(200, { items: [row('L', LATE), row('B', T2)] })
      // L is dropped (already read), so the reader pages on to fill the read.
      .get('/v1/customers')
      .query({ updated_since: LATE, offset: '2', limit: '2' })
      .reply(200, { items: [] });
    const page = await crm.read('customers', caughtUp, 2);
    expect(page.records.map((r) => r['id'])).toEqual(['A', 'L']);
    expect(decodeCursor(page.cursor!)).toEqual({ modified: T2, key: 'B', rescan: { modified: LATE, key: 'L' } });
    const next = await crm.read('customers', page.cursor, 2);
    expect(next.records.map((r) => r['id'])).toEqual(['B']);
    expect(decodeCursor(next.cursor!)).toEqual({ modified: T2, key: 'B', caughtUp: true });
    scope.done();
  });

  it('after a full page with nothing newer, the re-read happens at once rather than never', async () => {
    const crm = connector(60_000);
    const full = Buffer.from(JSON.stringify({ m: T2, k: 'B' })).toString('base64url');
    const scope = nock(BASE)
      .get('/v1/customers')
      .query({ updated_since: T2, offset: '0', limit: '10' })
      .reply(200, { items: [row('B', T2)] })
      .get('/v1/customers')
      .query({ updated_since: '2026-12-01T09:59:30.000Z', offset: '0', limit: '10' })
      .reply(200, { items: [row('L', LATE), row('B', T2)] });
    const page = await crm.read('customers', full, 10);
    expect(page.records.map((r) => r['id'])).toEqual(['L', 'B']);
    scope.done();
  });

  it('moves wall-clock values back by their digits, keeping the format', () => {
    expect(moveBackModified('2026-12-01 10:00:30.123456', 60_000, { style: 'datetime', timeZone: 'Europe/Berlin', fractionDigits: 6 })).toBe('2026-12-01 09:59:30.123000');
    expect(moveBackModified('2026-01-01 00:00:10', 60_000, { style: 'datetime', timeZone: 'UTC' })).toBe('2025-12-31 23:59:10');
    expect(moveBackModified(T2, 1000, { style: 'iso' })).toBe('2026-12-01T10:00:29.000Z');
    expect(moveBackModified('yesterday', 1000, { style: 'iso' })).toBeUndefined();
  });

  it('refuses a window it cannot measure: no modifiedFormat, or ERPNext without the site\'s time zone', () => {
    const list = { path: '/v1/customers', since: { param: 'updated_since' }, paging: { style: 'offset', offsetParam: 'offset', limitParam: 'limit' } };
    const result = connectorsConfigSchema.safeParse({
      crm: { type: 'http', baseUrl: BASE, overlapMs: 60_000, entities: { customers: { list } } },
      erp: { type: 'erpnext', baseUrl: BASE, apiKeyEnv: 'K', apiSecretEnv: 'S', overlapMs: 60_000 },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => `${i.path.join('/')}: ${i.message}`).sort()).toEqual([
      'crm/entities/customers/list/modifiedFormat: is required with overlapMs: the window is measured on the modified values',
      "erp/timeZone: is required with overlapMs: the window is measured on modified, which ERPNext writes in the site's time zone",
    ]);
    // An embedding host building the connector in code meets the same rule.
    expect(() => createHttpConnector({ name: 'crm', client: createHttpClient({ baseUrl: BASE }), overlapMs: 1000, entities: { customers: { list: list as never } } })).toThrow('crm: overlapMs needs the modifiedFormat of customers');
  });
});
