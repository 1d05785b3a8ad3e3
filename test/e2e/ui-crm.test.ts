import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../core/demo/seed.js';
import { createHub, type Hub } from '../../hub/create-hub.js';
import { ADMIN_PASSWORD, REDIS_URL, deleteRedisPrefix } from '../helpers.js';
import { haveChromium, launch, screenshot, signIn, watchedPage } from './browser.js';

/** The built-in web UI in a real browser (Debian's Chromium) against `hub serve` with the demo data. */
describe.skipIf(!haveChromium())('web UI in Chromium (skipped: /usr/bin/chromium is not installed; .ci/run installs it)', () => {
  let hub: Hub;
  let base: string;
  let browser: Browser;
  let dir: string;
  const prefix = `test-ui-${randomUUID()}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-ui-'));
    hub = createHub({
      env: { HUB_DB: `sqlite://${join(dir, 'hub.db')}`, HUB_DATA_DIR: dir, REDIS_URL, HUB_ADMIN_PASSWORD: ADMIN_PASSWORD, HUB_DEMO: '1' },
      logger: pino({ level: 'silent' }),
      redisPrefix: prefix,
      validateResponses: true,
      runWorkers: false,
    });
    await hub.start();
    base = (await hub.listen(0, '127.0.0.1')).url.replace(/\/$/, '');
    browser = await launch();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    await deleteRedisPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page with a Content-Security-Policy that forbids inline script, and the session cookie is HttpOnly', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const login = await fetch(`${base}/api/v1/auth/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'rep.anna', password: DEMO_PASSWORD }) });
    expect(login.status).toBe(200);
    const [cookie = '', marker = ''] = login.headers.getSetCookie();
    expect(cookie).toMatch(/^hub_session=[^;]+; Path=\/; Max-Age=\d+; SameSite=Strict; HttpOnly$/);
    expect(marker).toMatch(/^hub_signed_in=1; Path=\/; Max-Age=\d+; SameSite=Strict$/);
    expect(await login.text()).not.toContain(cookie.split(';')[0]!.split('=')[1]!);
  });

  it('signs a rep in, shows their name and roles, and lists only their own customers', async () => {
    const w = await watchedPage(browser);
    await signIn(w.page, base, 'rep.anna', DEMO_PASSWORD);
    await expect.poll(() => w.page.getByTestId('me').textContent()).toContain('Anna Keller');
    await w.page.getByRole('table').waitFor();
    await w.settle();
    const customers = w.responses.filter((r) => r.url.includes('/api/v1/customers'));
    expect(customers.length).toBeGreaterThan(0);
    const session = w.responses.find((r) => r.url.endsWith('/api/v1/auth/session') && r.status === 200);
    const myId = (JSON.parse(session!.body) as { user: { id: string } }).user.id;
    expect(myId).toMatch(/^[0-9a-f-]{36}$/);
    for (const r of customers) for (const c of (JSON.parse(r.body) as { items: { ownerId: string }[] }).items) expect(c.ownerId).toBe(myId);
    // The token is never readable by script: not in storage, not in document.cookie.
    expect(await w.page.evaluate('document.cookie')).toBe('hub_signed_in=1');
    expect(await w.page.evaluate('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })')).not.toMatch(/hub_[A-Za-z0-9_-]{20,}/);
    await screenshot(w.page, 'customers-rep');
    expect(w.consoleErrors).toEqual([]);
    await w.context.close();
  });

  it('returns to sign-in when the session ends, and back to the same page after signing in again', async () => {
    const w = await watchedPage(browser);
    await signIn(w.page, base, 'director', DEMO_PASSWORD);
    await w.page.getByRole('table').waitFor();
    await w.page.getByRole('table').getByRole('link').first().click();
    await w.page.locator('dl.fields').waitFor();
    const detail = w.page.url();
    // The session ends on the server (as when it expires).
    await w.context.request.delete(`${base}/api/v1/auth/session`, { headers: { origin: base } });
    await w.page.reload();
    await w.page.getByText(/Sign in again/).or(w.page.getByRole('heading', { name: 'Sign in' })).first().waitFor();
    expect(w.page.url()).toBe(detail);
    await w.page.getByLabel('Username').fill('director');
    await w.page.getByLabel('Password').fill(DEMO_PASSWORD);
    await w.page.getByRole('button', { name: 'Sign in' }).click();
    await w.page.locator('dl.fields').waitFor();
    expect(w.page.url()).toBe(detail);
    await w.context.close();
  });

  it('switches the language to Simplified Chinese and remembers it', async () => {
    const w = await watchedPage(browser);
    await signIn(w.page, base, 'director', DEMO_PASSWORD);
    await w.page.getByLabel('Language').selectOption('zh-CN');
    await w.page.getByRole('heading', { name: '客户' }).waitFor();
    await w.page.reload();
    await w.page.getByRole('heading', { name: '客户' }).waitFor();
    expect(await w.page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    await screenshot(w.page, 'customers-zh-CN');
    await w.context.close();
  });

  it('shows a lock, never a value, for fields the quality inspector may not see', async () => {
    const w = await watchedPage(browser);
    await signIn(w.page, base, 'inspector', DEMO_PASSWORD);
    await w.page.getByRole('table').getByRole('link').first().click();
    await w.page.locator('dd[data-field="creditLimit"]').waitFor();
    await expect.poll(() => w.page.locator('dd[data-field="creditLimit"] [role="img"]').getAttribute('title')).toMatch(/Restricted/);
    await w.settle();
    for (const r of w.responses) expect(r.body).not.toMatch(/"(creditLimit|paymentTerms|phone)"/);
    await w.context.close();
  });

  it('refuses a write signed in with the cookie from another origin', async () => {
    const login = await fetch(`${base}/api/v1/auth/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'director', password: DEMO_PASSWORD }) });
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const forged = await fetch(`${base}/api/v1/customers`, { method: 'POST', headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/json' }, body: JSON.stringify({ code: 'X-1', name: 'Forged' }) });
    expect(forged.status).toBe(403);
    const read = await fetch(`${base}/api/v1/auth/me`, { headers: { cookie } });
    expect(read.status).toBe(200);
  });

  it('creates a customer, shows the server\'s validation error next to the field, and explains a stale edit keeping what was typed', async () => {
    const w = await watchedPage(browser);
    w.page.setDefaultTimeout(8000);
    await signIn(w.page, base, 'rep.anna', DEMO_PASSWORD);
    await w.page.getByRole('link', { name: 'New customer' }).click();
    const code = `UI-${Date.now()}`;
    await w.page.getByLabel('Code').fill(code);
    await w.page.getByLabel('Name', { exact: true }).fill('Browser Test GmbH');
    await w.page.getByLabel('Currency').fill('EURO');
    await w.page.getByRole('button', { name: 'Save' }).click();
    // The server refuses the currency; the message sits next to the field and nothing was created.
    const error = w.page.locator('#field-currency-error');
    await error.waitFor();
    expect(await w.page.getByLabel('Currency').getAttribute('aria-invalid')).toBe('true');
    expect(await error.textContent()).toBeTruthy();
    await w.page.getByLabel('Currency').fill('EUR');
    await w.page.getByRole('button', { name: 'Save' }).click();
    await w.page.locator('dd[data-field="code"]').getByText(code).waitFor();
    const id = /#\/customers\/([^/?]+)/.exec(w.page.url())![1]!;
    // Another person saves the customer while this user edits it.
    await w.page.getByRole('link', { name: 'Edit' }).click();
    await w.page.getByLabel('Industry').fill('Machinery');
    const token = await hub.auth.login('director', DEMO_PASSWORD, '127.0.0.1');
    const other = await fetch(`${base}/api/v1/customers/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ website: 'https://other.example', industry: 'Textiles' }) });
    expect(other.status).toBe(200);
    await w.page.getByRole('button', { name: 'Save' }).click();
    const stale = w.page.getByTestId('stale');
    await stale.waitFor();
    expect(await stale.textContent()).toContain('https://other.example');
    // The field both changed is flagged, with what keeping this user's changes will write.
    const both = stale.locator('li[data-both="true"]');
    expect(await both.count()).toBe(1);
    expect(await both.textContent()).toMatch(/Industry: Textiles — you changed it too.*Machinery/);
    expect(await w.page.getByLabel('Industry').inputValue()).toBe('Machinery');
    await w.page.getByRole('button', { name: 'Keep my changes on top of theirs' }).click();
    await w.page.getByRole('button', { name: 'Save' }).click();
    await w.page.locator('dd[data-field="industry"]').getByText('Machinery').waitFor();
    expect(await w.page.locator('dd[data-field="website"]').textContent()).toBe('https://other.example');
    await screenshot(w.page, 'customer-detail');
    expect(w.consoleErrors.filter((e) => !/status of (412|422|400)/.test(e))).toEqual([]);
    await w.context.close();
  });

  it('never shows the quality inspector a price, total or payment terms: not on screen, not in the page, not in any response', async () => {
    const w = await watchedPage(browser);
    await signIn(w.page, base, 'inspector', DEMO_PASSWORD);
    await w.page.getByRole('link', { name: 'Orders' }).click();
    await w.page.getByRole('table').getByRole('link').first().click();
    await w.page.locator('dd[data-field="deliveryDate"]').waitFor();
    await w.settle();
    await screenshot(w.page, 'order-inspector');
    expect(await w.page.locator('td[data-field="unitPrice"] [role="img"]').count()).toBeGreaterThan(0);
    expect(await w.page.locator('td[data-field="total"] [role="img"]').count()).toBe(1);
    const html = await w.page.content();
    for (const r of w.responses) expect(r.body).not.toMatch(/"(total|subtotal|taxTotal|unitPrice|lineTotal|paymentTerms|listPrice|cost|discount)"/);
    expect(html).not.toMatch(/\d+[.,]\d{2}\s*(€|EUR|CHF|\$)|(€|CHF|\$)\s*\d/);
    expect(await w.page.getByRole('link', { name: 'Receivables' }).count()).toBe(0);
    expect(w.consoleErrors).toEqual([]);
    await w.context.close();
  });

  it('offers the buyer no orders and no customers, and products with their stock by warehouse', async () => {
    const w = await watchedPage(browser);
    await signIn(w.page, base, 'buyer', DEMO_PASSWORD);
    expect(await w.page.getByRole('link', { name: 'Orders' }).count()).toBe(0);
    expect(await w.page.getByRole('link', { name: 'Customers' }).count()).toBe(0);
    await w.page.getByRole('link', { name: 'Products' }).click();
    await w.page.getByRole('table').getByRole('link').first().click();
    await w.page.getByRole('heading', { name: 'Stock by warehouse' }).waitFor();
    await w.settle();
    expect(w.responses.some((r) => r.url.includes('/api/v1/orders'))).toBe(false);
    expect(w.consoleErrors).toEqual([]);
    await w.context.close();
  });

  it('is usable on a phone-sized window', async () => {
    const w = await watchedPage(browser, { width: 390, height: 844 });
    await signIn(w.page, base, 'ar.clerk', DEMO_PASSWORD);
    await w.page.getByRole('link', { name: 'Receivables' }).click();
    await w.page.getByRole('table').waitFor();
    const overflow = await w.page.evaluate('document.documentElement.scrollWidth > window.innerWidth + 1');
    expect(overflow).toBe(false);
    await screenshot(w.page, 'receivables-phone');
    await w.context.close();
  });
});
