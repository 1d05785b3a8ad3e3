import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers.js';
import { until } from './sync-fixtures.js';

/**
 * ERPNext's own webhook through the API: an ERPNext source (the configured `type: erpnext` connector
 * and its default mappings) takes Frappe's call — one document, `X-Frappe-Webhook-Signature` =
 * base64 HMAC-SHA256 of the raw body — and ingests it; a wrong signature is a 401 naming that header.
 */

const SECRET = 'frappe-webhook-secret-for-tests';
const frappeSign = (body: string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('base64');

describe.sequential('ERPNext webhook API', () => {
  let t: TestHub;
  let admin: Record<string, string>;
  const webhook = (body: string, headers: Record<string, string>) => t.api.post('/api/v1/webhooks/erpnext').set('Content-Type', 'application/json').set(headers).send(body);

  beforeAll(async () => {
    t = await startTestHub({
      workers: true,
      env: { ERPNEXT_API_KEY: 'k', ERPNEXT_API_SECRET: 's', ERPNEXT_WEBHOOK_SECRET: SECRET },
      config: {
        // Never reached: the source is not polled, and webhooks need no request to ERPNext.
        connectors: { erpnext: { type: 'erpnext', baseUrl: 'http://127.0.0.1:9', apiKeyEnv: 'ERPNEXT_API_KEY', apiSecretEnv: 'ERPNEXT_API_SECRET' } },
        sync: { sources: { erpnext: { entities: ['customer'], pollIntervalSeconds: 0, deletes: true, webhookSecretEnv: 'ERPNEXT_WEBHOOK_SECRET' } } },
      },
    });
    admin = { Authorization: `Bearer ${t.adminToken}` };
  }, 60_000);
  afterAll(async () => t?.close());

  it('ingests a document Frappe signed (and a delete), and refuses a bad or missing signature (401) and an unknown doctype (422)', async () => {
    // As Frappe sends it: json.dumps of the rendered {{ doc.as_json() }}.
    const body = '{"doctype": "Customer", "name": "Frappe Kunde", "customer_name": "Frappe Kunde ", "customer_type": "Company", "default_currency": "EUR", "disabled": 0, "modified": "2026-07-01 10:00:00.000000"}';
    const ok = await webhook(body, { 'X-Frappe-Webhook-Signature': frappeSign(body) });
    expect(ok.status).toBe(202);
    expect(ok.body).toEqual({ accepted: 1 });
    const created = await until('the customer in the hub', async () => {
      const res = await t.api.get('/api/v1/customers').query({ q: 'Frappe Kunde' }).set(admin);
      return (res.body.items as { code: string; name: string }[]).find((c) => c.code === 'Frappe Kunde');
    });
    expect(created).toMatchObject({ code: 'Frappe Kunde', name: 'Frappe Kunde' });
    // Frappe sets no Content-Type unless the webhook's headers add one: the body's bytes are what count.
    const renamed = body.replace('"customer_name": "Frappe Kunde "', '"customer_name": "Frappe Kunde AG"').replace('10:00:00', '10:05:00');
    const untyped = await t.api.post('/api/v1/webhooks/erpnext').set('X-Frappe-Webhook-Signature', frappeSign(renamed)).send(Buffer.from(renamed));
    expect(untyped.status).toBe(202);
    await until('the rename in the hub', async () => {
      const res = await t.api.get('/api/v1/customers').query({ q: 'Frappe Kunde' }).set(admin);
      return (res.body.items as { code: string; name: string }[]).find((c) => c.code === 'Frappe Kunde' && c.name === 'Frappe Kunde AG');
    });

    const tampered = await webhook(body.replace('Company', 'Individual'), { 'X-Frappe-Webhook-Signature': frappeSign(body) });
    expect(tampered.status).toBe(401);
    expect(tampered.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(tampered.body.errors).toEqual([{ pointer: '/headers/x-frappe-webhook-signature', detail: 'does not match the body under the configured secret' }]);
    const unsigned = await webhook(body, {});
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.errors[0].pointer).toBe('/headers/x-frappe-webhook-signature');
    // The generic signature is not what an ERPNext source reads.
    const generic = await webhook(body, { 'X-Hub-Signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` });
    expect(generic.status).toBe(401);

    // An on_trash webhook with the delete template of docs/connectors/erpnext.md.
    const trashed = '{"doctype": "Customer", "name": "Frappe Kunde", "$deleted": true}';
    expect((await webhook(trashed, { 'X-Frappe-Webhook-Signature': frappeSign(trashed) })).status).toBe(202);
    await until('the customer deleted', async () => {
      const res = await t.api.get('/api/v1/customers').query({ q: 'Frappe Kunde' }).set(admin);
      return (res.body.items as { code: string }[]).some((c) => c.code === 'Frappe Kunde') ? undefined : true;
    });

    const supplier = '{"doctype": "Supplier", "name": "S-1"}';
    const unknown = await webhook(supplier, { 'X-Frappe-Webhook-Signature': frappeSign(supplier) });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([{ pointer: '/doctype', detail: 'must be one of Customer, Contact, Item, Sales Order, Sales Invoice, Payment Entry, Bin' }]);
  });
});
