import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../core/demo/seed.js';
import { parseCsv } from '../fixtures/csv.js';
import { axeViolations, haveChromium, screenshot, signIn, uiSuite, watchedPage } from './browser.js';

/** The reports in the web UI: the same scope and policy as the API, a chart each, a CSV download. */
describe.skipIf(!haveChromium())('web UI reports in Chromium (skipped: /usr/bin/chromium is not installed; .ci/run installs it)', () => {
  const s = uiSuite();

  const agingRows = async (username: string): Promise<number> => {
    const w = await watchedPage(s.browser);
    await signIn(w.page, s.ui.base, username, DEMO_PASSWORD);
    await w.page.getByRole('link', { name: 'Aging' }).click();
    await w.page.getByTestId('aging-table').waitFor();
    const rows = await w.page.getByTestId('aging-table').locator('tbody tr').count();
    expect(w.consoleErrors).toEqual([]);
    await w.context.close();
    return rows;
  };

  it('ages receivables per customer with a chart, narrower for a lead than the director and narrower still for a rep', async () => {
    const director = await agingRows('director');
    const lead = await agingRows('lead.north');
    const rep = await agingRows('rep.anna');
    expect(director).toBeGreaterThan(lead);
    expect(lead).toBeGreaterThan(rep);
    expect(rep).toBeGreaterThan(0);
  });

  it('downloads the aging as CSV: the same figures as the API answers for that user', async () => {
    const w = await watchedPage(s.browser);
    await signIn(w.page, s.ui.base, 'ar.clerk', DEMO_PASSWORD);
    await w.page.goto(`${s.ui.base}/#/reports/aging?groupBy=team`);
    await w.page.getByTestId('aging-table').waitFor();
    await w.page.locator('svg.bar-chart').first().waitFor();
    await screenshot(w.page, 'report-aging');
    const [download] = await Promise.all([w.page.waitForEvent('download'), w.page.getByRole('button', { name: 'Download CSV' }).click()]);
    const rows = parseCsv(readFileSync((await download.path())!, 'utf8'));
    expect(rows[0]).toContain('currency');
    expect(rows.length).toBeGreaterThan(1);
    expect(w.consoleErrors).toEqual([]);
    await w.context.close();
  });

  it('shows sales performance by team with the subtree rolled up', async () => {
    const w = await watchedPage(s.browser);
    await signIn(w.page, s.ui.base, 'director', DEMO_PASSWORD);
    await w.page.goto(`${s.ui.base}/#/reports/sales?groupBy=team&from=2020-01-01&to=2030-12-31`);
    await w.page.getByTestId('sales-table').waitFor();
    expect(await w.page.getByTestId('sales-table').locator('tbody tr.child').count()).toBeGreaterThan(0);
    await screenshot(w.page, 'report-sales');
    await w.context.close();
  });

  it('does not offer the quality inspector the sales report, and explains the refusal when opened anyway', async () => {
    const w = await watchedPage(s.browser);
    await signIn(w.page, s.ui.base, 'inspector', DEMO_PASSWORD);
    expect(await w.page.getByRole('link', { name: 'Sales performance' }).count()).toBe(0);
    await w.page.goto(`${s.ui.base}/#/reports/sales`);
    await w.page.getByRole('alert').waitFor();
    expect(await w.page.getByRole('alert').textContent()).toMatch(/may not see this/);
    await w.settle();
    for (const r of w.responses) expect(r.body).not.toMatch(/"(quota|other)":\{"count"/);
    await w.context.close();
  });

  it('has no serious or critical accessibility violation on the sign-in, CRM and report pages, in both languages', async () => {
    const w = await watchedPage(s.browser);
    await w.page.goto(`${s.ui.base}/`);
    await w.page.getByLabel('Username').waitFor();
    expect(await axeViolations(w.page)).toEqual([]);
    await signIn(w.page, s.ui.base, 'director', DEMO_PASSWORD);
    const pages: [string, string][] = [
      ['#/customers', 'table'], ['#/orders', 'table'], ['#/products', 'table'], ['#/receivables', 'table'], ['#/payments', 'table'],
      ['#/reports/aging', '[data-testid="aging-table"]'], ['#/reports/sales?groupBy=team', '[data-testid="sales-table"]'], ['#/customers/new', 'form.record-form'],
    ];
    for (const [hash, ready] of pages) {
      await w.page.goto(`${s.ui.base}/${hash}`);
      await w.page.locator(ready).first().waitFor();
      expect(await axeViolations(w.page), hash).toEqual([]);
    }
    // A detail page of each kind, through the first link of its list.
    for (const list of ['#/customers', '#/orders', '#/products']) {
      await w.page.goto(`${s.ui.base}/${list}`);
      await w.page.getByRole('table').getByRole('link').first().click();
      await w.page.locator('dl.fields').waitFor();
      await w.settle();
      expect(await axeViolations(w.page), `${list}/<id>`).toEqual([]);
    }
    await w.page.getByLabel('Language').selectOption('zh-CN');
    await w.page.goto(`${s.ui.base}/#/reports/aging`);
    await w.page.getByTestId('aging-table').waitFor();
    expect(await axeViolations(w.page), 'aging in zh-CN').toEqual([]);
    await w.page.getByLabel('语言').selectOption('en');
    expect(w.consoleErrors).toEqual([]);
    await w.context.close();
  });

  it('lets the AR clerk run the finance feed (the next sequence each time) and download the public key; a rep is not offered feeds', async () => {
    const w = await watchedPage(s.browser);
    await signIn(w.page, s.ui.base, 'ar.clerk', DEMO_PASSWORD);
    await w.page.getByRole('link', { name: 'Feeds' }).click();
    await w.page.getByRole('heading', { name: 'Runs: finance-daily' }).waitFor();
    const sequences: string[] = [];
    for (let i = 0; i < 2; i++) {
      await w.page.getByRole('button', { name: 'Run now' }).click();
      const status = w.page.getByRole('status').filter({ hasText: 'Run complete' });
      await status.waitFor();
      sequences.push(/#(\d+)/.exec((await status.textContent()) ?? '')![1]!);
      await w.page.getByRole('button', { name: 'Run now' }).waitFor();
    }
    expect(Number(sequences[1])).toBe(Number(sequences[0]) + 1);
    await w.page.getByRole('table', { name: 'Runs' }).getByRole('cell', { name: sequences[1]!, exact: true }).waitFor();
    const [download] = await Promise.all([w.page.waitForEvent('download'), w.page.getByRole('button', { name: 'Download public key' }).click()]);
    expect(readFileSync((await download.path())!, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    await screenshot(w.page, 'feeds');
    expect(await axeViolations(w.page)).toEqual([]);
    expect(w.consoleErrors).toEqual([]);
    await w.context.close();

    const rep = await watchedPage(s.browser);
    await signIn(rep.page, s.ui.base, 'rep.anna', DEMO_PASSWORD);
    expect(await rep.page.getByRole('link', { name: 'Feeds' }).count()).toBe(0);
    await rep.context.close();
  });

  it('filters customers by the lead\'s own team (not the teams below it)', async () => {
    const w = await watchedPage(s.browser);
    await signIn(w.page, s.ui.base, 'lead.north', DEMO_PASSWORD);
    await w.page.getByRole('table').waitFor();
    await w.page.getByLabel('Team').selectOption('mine');
    await w.page.waitForURL(/team=mine/);
    await w.page.getByRole('table').waitFor();
    await w.settle();
    const me = JSON.parse(w.responses.find((r) => r.url.endsWith('/api/v1/auth/session') && r.status === 200)!.body) as { user: { teamId: string } };
    const filtered = w.responses.filter((r) => r.url.includes('/api/v1/customers?') && r.url.includes('teamId='));
    expect(filtered.length).toBeGreaterThan(0);
    const items = (JSON.parse(filtered[filtered.length - 1]!.body) as { items: { teamId: string }[] }).items;
    expect(items.length).toBeGreaterThan(0);
    for (const c of items) expect(c.teamId).toBe(me.user.teamId);
    await w.context.close();
  });
});
