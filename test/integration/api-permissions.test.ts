import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../core/demo/seed.js';
import { startTestHub, type TestHub } from '../helpers.js';

interface EntityPermissions { entity: string; read: boolean; rows: string[]; fields: Record<string, string>; write: string[]; create: boolean; delete: boolean }

/** GET /api/v1/auth/me/permissions: what the caller's roles let it do, as clients need it to offer only allowed actions. */
describe('the caller\'s own permissions', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ env: { HUB_DEMO: '1' } });
  }, 60_000);
  afterAll(async () => t?.close());

  const permissionsOf = async (username: string): Promise<Record<string, EntityPermissions>> => {
    const token = await t.login(username, DEMO_PASSWORD);
    const res = await t.api.get('/api/v1/auth/me/permissions').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    return Object.fromEntries((res.body.entities as EntityPermissions[]).map((e) => [e.entity, e]));
  };

  it('tells the quality inspector it reads orders without prices and may change only delivery date and status', async () => {
    const p = await permissionsOf('inspector');
    expect(p['order']).toMatchObject({ read: true, rows: ['all'], create: false, delete: false });
    expect(p['order']!.write).toEqual(['deliveryDate', 'status']);
    expect(p['order']!.fields['deliveryDate']).toBe('allow');
    for (const hidden of ['total', 'subtotal', 'paymentTerms', 'lines.unitPrice']) expect(p['order']!.fields[hidden]).toBeUndefined();
    expect(p['receivable']).toMatchObject({ read: false, rows: [], fields: {}, write: [], create: false, delete: false });
  });

  it('tells a rep its rows are its own, the buyer that it sees no orders, and the AR clerk that phones are masked', async () => {
    expect((await permissionsOf('rep.anna'))['customer']).toMatchObject({ read: true, rows: ['own'], create: true, delete: false });
    expect((await permissionsOf('buyer'))['order']!.read).toBe(false);
    expect((await permissionsOf('ar.clerk'))['customer']!.fields['phone']).toBe('mask');
  });

  it('answers 401 without a credential', async () => {
    expect((await t.api.get('/api/v1/auth/me/permissions')).status).toBe(401);
  });
});
