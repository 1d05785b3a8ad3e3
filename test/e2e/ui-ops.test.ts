import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorConfigInput } from '../../connectors/config.js';
import { mappingDir } from '../fixtures/files.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from '../helpers.js';
import { customerSourceFiles, sinkFiles, until } from '../integration/sync-fixtures.js';
import { axeViolations, haveChromium, launch, screenshot, signIn, watchedPage } from './browser.js';
import { OPS_PEER_TOKEN, OpsPeer } from './fixtures/ops-peer.js';

/**
 * The operations console in a real browser (Debian's Chromium) against a hub with its workers: an
 * HTTP "ERP" source of 240 customers answering each page slowly (a backfill's progress bar can be
 * watched moving, and the run ends by itself), and an HTTP "sink" target that refuses chosen
 * customers for good (dead letters). Admins use the console; an auditor sees the audit trail only;
 * a sales rep sees none of it. Every page is scanned with axe-core.
 */

const ROWS = 240;
const code = (n: number) => `R-${String(n).padStart(4, '0')}`;

describe.skipIf(!haveChromium()).sequential('operations console in Chromium (skipped: /usr/bin/chromium is not installed; .ci/run installs it)', () => {
  let t: TestHub;
  let base: string;
  let browser: Browser;
  const peer = new OpsPeer();
  const admin = () => ({ Authorization: `Bearer ${t.adminToken}` });
  const PASSWORD = 'ops-console-password-1';

  const customerId = async (c: string): Promise<string> => {
    const res = await t.api.get('/api/v1/customers').query({ q: c }).set(admin());
    const found = (res.body.items as { id: string; code: string }[]).find((x) => x.code === c);
    if (!found) throw new Error(`no customer ${c}`);
    return found.id;
  };
  const customerName = async (id: string) => (await t.api.get(`/api/v1/customers/${id}`).set(admin())).body.name as string;
  const openLetters = async () => (await t.api.get('/api/v1/sync/dead-letters').query({ target: 'sink' }).set(admin())).body.items as { id: string; recordId: string; errorCode: string }[];
  const signInAdmin = async (viewport?: { width: number; height: number }) => {
    const w = await watchedPage(browser, viewport);
    await signIn(w.page, base, 'admin', ADMIN_PASSWORD);
    return w;
  };
  const expectAccessible = async (page: Page) => expect(await axeViolations(page)).toEqual([]);
  const card = (page: Page, connector: string) => page.locator(`article[data-connector="${connector}"]`);
  const progressValue = (run: Locator) => run.locator('progress').evaluate((p) => (p as unknown as { value: number }).value);

  beforeAll(async () => {
    for (let i = 1; i <= ROWS; i++) peer.put(code(i), `Customer ${i}`);
    // Refused by the sink for good, until a test lets them through: dead letters once ingested.
    for (const n of [7, 8, 9]) peer.refuse.add(code(n));
    peer.pageDelayMs = 150;
    await peer.start();
    const http = (entities: Extract<ConnectorConfigInput, { type: 'http' }>['entities']): ConnectorConfigInput => ({ type: 'http', baseUrl: peer.url, auth: { kind: 'bearer', tokenEnv: 'OPS_PEER_TOKEN' }, checkPath: '/v1/ping', entities });
    t = await startTestHub({
      workers: true,
      env: { OPS_PEER_TOKEN },
      config: {
        mappings: { dirs: [mappingDir({ ...customerSourceFiles('erp'), ...sinkFiles() })] },
        connectors: {
          erp: http({
            customers: {
              list: { path: '/v1/customers', recordsField: 'items', modifiedField: 'updated_at', tieBreakerField: 'customer_no', modifiedFormat: { style: 'iso' }, since: { param: 'updated_since' }, paging: { style: 'offset', offsetParam: 'offset', limitParam: 'limit' }, pageSize: 10, countField: 'total', countPath: '/v1/customers/count' },
              naturalKeys: ['customer_no'],
            },
          }),
          sink: http({ customers: { batch: { path: '/v1/sink/batch', idField: 'code', statusField: 'status', errorField: 'error' } } }),
        },
        ownership: { conflictWindowSeconds: 300, fields: {} },
        sync: {
          relayIntervalMs: 100,
          sources: { erp: { entities: ['customer'], pollIntervalSeconds: 0, pageSize: 10 } },
          targets: { sink: { entities: ['customer'], receiver: 'finance', batchSize: 50, backoffMs: 50 } },
        },
      },
    });
    base = (await t.hub.listen(0, '127.0.0.1')).url.replace(/\/$/, '');
    for (const [username, roles] of [['rep.anna', ['sales_rep']], ['auditor.ops', ['auditor']]] as const) {
      const res = await t.api.post('/api/v1/users').set(admin()).send({ username, displayName: username, roles, password: PASSWORD });
      expect(res.status).toBe(201);
    }
    browser = await launch();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await peer.close();
  }, 90_000);

  it('shows each connector live, refreshed while the page is open and no longer once it is left, and tests a connection', async () => {
    const w = await signInAdmin();
    await w.page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Operations' }).click();
    await w.page.getByRole('heading', { name: 'Connectors', level: 1 }).waitFor();
    await card(w.page, 'erp').getByRole('heading', { name: 'erp' }).waitFor();
    await card(w.page, 'sink').getByRole('heading', { name: 'sink' }).waitFor();
    await expect.poll(() => card(w.page, 'sink').textContent()).toContain('Delivery queue');
    await expect.poll(() => card(w.page, 'sink').textContent()).toContain('Circuit breaker');

    await card(w.page, 'erp').getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(() => w.page.getByTestId('check-erp').textContent()).toMatch(/^Reachable \(/);

    // Read again every few seconds while visible.
    const statusCalls = () => w.responses.filter((r) => r.url.endsWith('/api/v1/sync/connectors')).length;
    const before = statusCalls();
    await expect.poll(statusCalls, { timeout: 10_000 }).toBeGreaterThan(before + 1);
    await expectAccessible(w.page);
    await screenshot(w.page, 'ops-connectors');

    // Leaving the page stops the polling.
    await w.page.getByRole('link', { name: 'Audit', exact: true }).click();
    await w.page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    await w.settle();
    const left = statusCalls();
    await new Promise((r) => setTimeout(r, 4000));
    expect(statusCalls()).toBe(left);
    expect(w.consoleErrors).toEqual([]);
    await w.context.close();
  }, 90_000);

  it('starts a backfill whose progress bar moves live until the run is done, and cancels another', async () => {
    const w = await signInAdmin();
    await w.page.goto(`${base}/#/ops/connectors`);
    const erp = card(w.page, 'erp');
    await erp.getByLabel('Entity').selectOption('customer');
    await erp.getByRole('button', { name: 'Start backfill' }).click();
    const run = erp.locator('.run').first();
    await run.waitFor();
    const bar = run.getByRole('progressbar');
    expect(await bar.getAttribute('aria-labelledby')).toBeTruthy();

    // Watch the bar: it takes values between empty and full (it moves), then the run ends by itself.
    const seen: number[] = [];
    await until(
      'the backfill to finish',
      async () => {
        if ((await run.getAttribute('data-state')) === 'done') return true;
        if (await run.locator('progress[max]').count()) {
          const v = await progressValue(run);
          if (seen[seen.length - 1] !== v) seen.push(v);
          if (seen.length === 3) await screenshot(w.page, 'ops-backfill-progress');
        }
        return undefined;
      },
      60_000,
      100,
    );
    const between = seen.filter((v) => v > 0 && v < ROWS);
    expect(between.length, `values seen: ${seen.join(', ')}`).toBeGreaterThanOrEqual(2);
    expect([...between].sort((a, b) => a - b)).toEqual(between);
    expect(await bar.getAttribute('max')).toBe(String(ROWS));
    await expect.poll(() => progressValue(run)).toBe(ROWS);
    expect(await run.textContent()).toContain(`${ROWS} of ${ROWS} records`);
    expect(await run.textContent()).toContain('Done');
    await until('every customer in the hub', async () => ((await t.api.get('/api/v1/customers').query({ limit: 1, q: code(ROWS) }).set(admin())).body.items.length === 1 ? true : undefined));

    // A second run, cancelled from its confirmation dialog.
    await erp.getByRole('button', { name: 'Start backfill' }).click();
    const second = erp.locator('.run').first();
    await expect.poll(() => second.getAttribute('data-state')).toMatch(/queued|running/);
    await second.getByRole('button', { name: 'Cancel run' }).click();
    const dialog = w.page.getByRole('dialog', { name: 'Cancel this run?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel run' }).click();
    await expect.poll(() => second.getAttribute('data-state')).toBe('cancelled');
    await expect.poll(() => second.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    peer.pageDelayMs = 0;
    expect(w.consoleErrors).toEqual([]);
    await w.context.close();
  }, 90_000);

  it('lists dead letters with filters, shows the error and payload, and replays or discards them after a confirmation', async () => {
    const refused = [code(7), code(8), code(9)];
    await until('three dead letters', async () => ((await openLetters()).length === 3 ? true : undefined));
    const ids = new Map((await openLetters()).map((l) => [l.recordId, l.id]));
    const byCode = new Map(await Promise.all(refused.map(async (c) => [c, ids.get(await customerId(c))!] as const)));
    const w = await signInAdmin();
    await w.page.goto(`${base}/#/ops/connectors`);
    await w.page.getByRole('link', { name: 'Dead letters' }).click();
    await w.page.getByRole('heading', { name: 'Dead letters', level: 1 }).waitFor();
    await w.page.getByLabel('Connector').selectOption('sink');
    await w.page.getByLabel('Direction').selectOption('out');
    await w.page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => w.page.url()).toMatch(/target=sink/);
    await expect.poll(() => w.page.locator('article.letter').count()).toBe(3);

    const letter = (c: string) => w.page.locator(`article[data-letter="${byCode.get(c)}"]`);
    const first = letter(code(7));
    expect(await first.textContent()).toContain('validation');
    expect(await first.textContent()).toContain('batch rejected the record with status 422');
    await first.getByText('Payload as stored').click();
    const payload = JSON.parse((await first.locator('pre').textContent())!) as Record<string, unknown>;
    expect(payload).toEqual({ code: code(7), name: 'Customer 7' });
    await expectAccessible(w.page);
    await screenshot(w.page, 'ops-dead-letters');

    // Replay one: Escape closes the dialog and nothing happens; confirming replays it.
    peer.refuse.delete(code(7));
    await first.getByRole('button', { name: 'Replay' }).click();
    const dialog = w.page.getByRole('dialog', { name: 'Replay this dead letter?' });
    await dialog.waitFor();
    expect(await w.page.evaluate('document.activeElement?.textContent')).toBe('Cancel');
    await expectAccessible(w.page);
    await w.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(peer.received.has(code(7))).toBe(false);
    await first.getByRole('button', { name: 'Replay' }).click();
    await dialog.getByRole('button', { name: 'Replay' }).click();
    await w.page.getByRole('status').filter({ hasText: `Dead letter #${byCode.get(code(7))} replayed.` }).waitFor();
    await until('the replayed customer at the sink', () => (peer.received.has(code(7)) ? true : undefined));
    await expect.poll(() => w.page.locator('article.letter').count()).toBe(2);

    // Discard one with the keyboard only.
    await letter(code(8)).getByRole('button', { name: 'Discard' }).focus();
    await w.page.keyboard.press('Enter');
    const discard = w.page.getByRole('dialog', { name: 'Discard this dead letter?' });
    await discard.waitFor();
    await w.page.keyboard.press('Tab');
    expect(await w.page.evaluate('document.activeElement?.textContent')).toBe('Discard');
    await w.page.keyboard.press('Enter');
    await w.page.getByRole('status').filter({ hasText: 'discarded' }).waitFor();
    await expect.poll(() => w.page.locator('article.letter').count()).toBe(1);

    // Discarding every matching letter asks first; Escape leaves them all.
    await w.page.getByRole('button', { name: 'Discard all matching…' }).click();
    const discardAll = w.page.getByRole('dialog', { name: 'Discard every matching dead letter?' });
    expect(await discardAll.textContent()).toContain('Connector: sink');
    await w.page.keyboard.press('Escape');
    await discardAll.waitFor({ state: 'hidden' });
    expect(await w.page.locator('article.letter').count()).toBe(1);

    // Replay every open letter the filter selects.
    peer.refuse.delete(code(9));
    await w.page.getByRole('button', { name: 'Replay all matching…' }).click();
    const all = w.page.getByRole('dialog', { name: 'Replay every matching dead letter?' });
    expect(await all.textContent()).toContain('Connector: sink');
    await all.getByRole('button', { name: 'Replay' }).click();
    await w.page.getByRole('status').filter({ hasText: 'Dead letters replayed: 1.' }).waitFor();
    await until('the last refused customer at the sink', () => (peer.received.has(code(9)) ? true : undefined));
    expect(peer.received.has(code(8))).toBe(false);

    await w.page.getByLabel('State').selectOption('discarded');
    await w.page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => w.page.locator('article.letter').count()).toBe(1);
    expect(await letter(code(8)).textContent()).toContain('Discarded');
    expect(w.consoleErrors).toEqual([]);
    await w.context.close();
  }, 90_000);

  it('shows both values of a conflict side by side and resolves it by a pick or a typed value; lineage shows who set each field', async () => {
    const [one, two] = [await customerId(code(1)), await customerId(code(2))];
    for (const [id, name] of [[one, 'Hub One'], [two, 'Hub Two']] as const) expect((await t.api.patch(`/api/v1/customers/${id}`).set(admin()).send({ name })).status).toBe(200);
    peer.put(code(1), 'ERP One');
    peer.put(code(2), 'ERP Two');
    // A poll reads at most a few pages; poll again until it has reached the two changed rows.
    const source = t.hub.sync.sources.get('erp')!;
    await until('two open conflicts', async () => {
      if ((await t.api.get('/api/v1/sync/conflicts').set(admin())).body.items.length === 2) return true;
      const c = await source.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (Object.values(c).every((n) => n === 0)) await source.pollNow('customer');
      return undefined;
    }, 30_000, 250);

    const w = await signInAdmin();
    await w.page.goto(`${base}/#/ops/conflicts`);
    await w.page.getByRole('heading', { name: 'Conflict inbox' }).waitFor();
    const first = w.page.locator('article.conflict').filter({ hasText: 'Hub One' });
    await first.waitFor();
    const hubSide = first.locator('.side').nth(0);
    const theirSide = first.locator('.side').nth(1);
    expect(await hubSide.textContent()).toContain('Hub One');
    expect(await theirSide.textContent()).toContain('ERP One');
    const [a, b] = [await hubSide.boundingBox(), await theirSide.boundingBox()];
    expect(b!.x).toBeGreaterThan(a!.x + a!.width - 1);
    expect(Math.abs(b!.y - a!.y)).toBeLessThan(2);
    await expectAccessible(w.page);
    await screenshot(w.page, 'ops-conflicts');

    await first.getByRole('button', { name: 'Take the value from erp' }).click();
    await w.page.getByRole('status').filter({ hasText: 'Conflict on name resolved' }).waitFor();
    await until('the picked name in the hub', async () => ((await customerName(one)) === 'ERP One' ? true : undefined));

    const second = w.page.locator('article.conflict').filter({ hasText: 'Hub Two' });
    await second.getByLabel('Another value', { exact: true }).fill('Typed Two');
    await second.getByRole('button', { name: 'Set this value' }).click();
    await expect.poll(() => w.page.locator('article.conflict').count()).toBe(0);
    expect(await customerName(two)).toBe('Typed Two');

    // Resolved conflicts link to the record's lineage.
    await w.page.getByLabel('State').selectOption('resolved');
    const resolved = w.page.locator('article.conflict').filter({ hasText: 'Hub Two' });
    expect(await resolved.textContent()).toContain('Resolved (value set) by admin');
    await resolved.getByRole('link', { name: two }).click();
    await w.page.getByRole('heading', { name: `Lineage of Customers ${two}` }).waitFor();
    const row = (field: string) => w.page.locator(`tr[data-field="${field}"]`);
    await row('name').waitFor();
    expect(await row('name').textContent()).toMatch(/hub.*conflict:/);
    expect(await row('code').locator('td').first().textContent()).toBe('erp');
    await expectAccessible(w.page);

    // The small form opens any record's lineage.
    await w.page.goto(`${base}/#/ops/lineage`);
    await w.page.getByLabel('Entity').selectOption('customer');
    await w.page.getByLabel('Record id').fill(one);
    await w.page.getByRole('button', { name: 'Show lineage' }).click();
    await w.page.getByRole('heading', { name: `Lineage of Customers ${one}` }).waitFor();
    await row('name').waitFor();
    expect(await row('name').locator('td').first().textContent()).toBe('erp');
    expect(await row('name').textContent()).toContain('conflict:');
    await screenshot(w.page, 'ops-lineage');
    expect(w.consoleErrors).toEqual([]);
    await w.context.close();
  }, 90_000);

  it('shows the audit trail with filters, links to the API docs and the queue board, which takes the session cookie', async () => {
    const w = await signInAdmin();
    await w.page.goto(`${base}/#/ops/audit`);
    await w.page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    await w.page.getByLabel('Action').fill('sync.deadletter.replay');
    await w.page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => w.page.url()).toContain('action=sync.deadletter.replay');
    await w.page.getByRole('table').waitFor();
    const actions = await w.page.locator('table.audit tbody tr td:nth-child(3)').allTextContents();
    expect(actions.length).toBeGreaterThanOrEqual(2);
    expect(new Set(actions)).toEqual(new Set(['sync.deadletter.replay']));
    await expectAccessible(w.page);
    await screenshot(w.page, 'ops-audit');

    // Paged by the server: the unfiltered trail is longer than a page (each dead-letter list is audited).
    for (let i = 0; i < 60; i++) expect((await t.api.get('/api/v1/sync/dead-letters').query({ limit: 1 }).set(admin())).status).toBe(200);
    await w.page.goto(`${base}/#/ops/audit`);
    const rows = () => w.page.locator('table.audit tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as unknown as { dataset: { id: string } }).dataset.id));
    await expect.poll(async () => (await rows()).length).toBe(50);
    const firstPage = await rows();
    await w.page.getByRole('link', { name: 'Next page' }).click();
    await expect.poll(() => w.page.url()).toMatch(/cursor=/);
    await expect.poll(async () => (await rows())[0]).not.toBe(firstPage[0]);
    const secondPage = await rows();
    expect(secondPage.length).toBeGreaterThan(0);
    expect(secondPage.filter((id) => firstPage.includes(id))).toEqual([]);
    await w.page.getByRole('link', { name: 'First page' }).click();
    // The newest page again (newer records may have joined it since).
    await expect.poll(() => w.page.url()).not.toMatch(/cursor=/);
    await expect.poll(async () => { const now = await rows(); return now.length === 50 && !secondPage.includes(now[0]!); }).toBe(true);

    const tabs = w.page.getByRole('navigation', { name: 'Operations console' });
    expect(await tabs.getByRole('link', { name: 'API docs' }).getAttribute('href')).toBe('./docs/');
    expect(await tabs.getByRole('link', { name: 'Queue board' }).getAttribute('href')).toBe('./admin/queues');
    // The board opens with the web UI's session: no token in the address.
    const board = await w.context.request.get(`${base}/admin/queues/api/queues?activeQueue=&page=1&jobsPerPage=10`);
    expect(board.status()).toBe(200);
    expect(((await board.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort()).toEqual(['deliver.sink', 'ingest.erp']);
    expect(w.consoleErrors).toEqual([]);
    await w.context.close();
  }, 90_000);

  it('shows an auditor the audit trail only, and a sales rep nothing of the console', async () => {
    const auditor = await watchedPage(browser);
    // Signed in at the root: an auditor, who reads nothing of the CRM, lands on the audit trail.
    await signIn(auditor.page, base, 'auditor.ops', PASSWORD);
    const nav = auditor.page.getByRole('navigation', { name: 'Main navigation' });
    expect(await nav.getByRole('link', { name: 'Operations' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Audit' }).getAttribute('href')).toBe('#/ops/audit');
    await auditor.page.getByRole('table').waitFor();
    const tabs = auditor.page.getByRole('navigation', { name: 'Operations console' });
    expect(await tabs.getByRole('link').allTextContents()).toEqual(['Audit', 'API docs']);
    await expectAccessible(auditor.page);
    await auditor.page.goto(`${base}/#/ops/dead-letters`);
    await auditor.page.getByRole('heading', { name: 'You may not see this.' }).waitFor();
    await auditor.settle();
    expect(auditor.responses.filter((r) => r.url.includes('/api/v1/sync/'))).toEqual([]);
    expect(auditor.consoleErrors).toEqual([]);
    await auditor.context.close();

    const rep = await watchedPage(browser);
    await signIn(rep.page, base, 'rep.anna', PASSWORD);
    const repNav = rep.page.getByRole('navigation', { name: 'Main navigation' });
    await repNav.getByRole('link', { name: 'Customers' }).waitFor();
    expect(await repNav.getByRole('link', { name: /Operations|Audit/ }).count()).toBe(0);
    for (const path of ['ops', 'ops/connectors', 'ops/dead-letters', 'ops/conflicts', 'ops/lineage/customer/x', 'ops/audit']) {
      await rep.page.goto(`${base}/#/${path}`);
      await rep.page.getByRole('heading', { name: 'You may not see this.' }).waitFor();
      expect(await rep.page.getByRole('navigation', { name: 'Operations console' }).count()).toBe(0);
      expect(await rep.page.getByRole('button').filter({ hasText: /Replay|Discard|Backfill|Test connection/ }).count()).toBe(0);
    }
    await rep.settle();
    expect(rep.responses.filter((r) => /\/api\/v1\/(sync|audit)/.test(r.url))).toEqual([]);
    expect((await rep.context.request.get(`${base}/admin/queues/api/queues`)).status()).toBe(403);
    expect(rep.consoleErrors).toEqual([]);
    await rep.context.close();
  }, 90_000);

  it('fits a phone screen (390×844): no page scrolls sideways, and each page stays accessible', async () => {
    const w = await signInAdmin({ width: 390, height: 844 });
    for (const [path, heading] of [['connectors', 'Connectors'], ['dead-letters', 'Dead letters'], ['conflicts', 'Conflict inbox'], ['lineage', 'Record lineage'], ['audit', 'Audit trail']] as const) {
      await w.page.goto(`${base}/#/ops/${path}`);
      await w.page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await w.settle();
      expect(await w.page.evaluate('document.documentElement.scrollWidth'), path).toBeLessThanOrEqual(390);
      await expectAccessible(w.page);
      await screenshot(w.page, `ops-${path}-phone`);
    }
    // Every label of the console has its Simplified Chinese text.
    await w.page.goto(`${base}/#/ops/connectors`);
    await w.page.getByLabel('Language').selectOption('zh-CN');
    await w.page.getByRole('heading', { name: '连接器', level: 1 }).waitFor();
    await card(w.page, 'sink').getByRole('button', { name: '测试连接' }).waitFor();
    expect(await w.page.locator('main').textContent()).not.toMatch(/ops\.|Connectors|Backfill/);
    await screenshot(w.page, 'ops-connectors-zh-CN-phone');
    expect(w.consoleErrors).toEqual([]);
    await w.context.close();
  }, 90_000);
});
