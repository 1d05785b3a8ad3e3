import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../core/demo/seed.js';
import { USERS } from '../../core/demo/words.js';
import { ADMIN_PASSWORD } from '../helpers.js';
import { haveChromium, signIn, uiSuite, watchedPage } from './browser.js';

/**
 * Every demo role in the web UI: the header names the user, their roles and team; every page the menu
 * offers opens without a console error, and the page never asks the API for something the role is
 * refused (no 403 in any response): what a user may not do is not offered.
 */
describe.skipIf(!haveChromium())('web UI for every demo role in Chromium (skipped: /usr/bin/chromium is not installed; .ci/run installs it)', () => {
  const s = uiSuite();

  for (const [username, displayName, role, team] of USERS) {
    it(`${username} (${role}): sees who they are, and every menu page opens without a refused call`, async () => {
      const w = await watchedPage(s.browser);
      await signIn(w.page, s.ui.base, username, DEMO_PASSWORD);
      const header = (await w.page.getByTestId('me').textContent()) ?? '';
      expect(header).toContain(displayName);
      expect(header).toContain(role);
      if (team) expect(header).toContain(team);
      const links = await w.page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? '').filter((h) => h.startsWith('#/')));
      for (const link of links) {
        await w.page.goto(`${s.ui.base}/${link}`);
        await w.page.locator('main h1').first().waitFor();
        await w.settle();
      }
      expect(w.responses.filter((r) => r.status === 403).map((r) => r.url)).toEqual([]);
      expect(w.consoleErrors).toEqual([]);
      await w.context.close();
    }, 60_000);
  }

  it('opens the API docs and, for an admin, the queue board under their CSP without a console error', async () => {
    const w = await watchedPage(s.browser);
    await signIn(w.page, s.ui.base, 'admin', ADMIN_PASSWORD);
    const docs = await w.page.goto(`${s.ui.base}/docs/`);
    expect(docs?.headers()['content-security-policy']).toContain("script-src 'self'");
    await w.page.locator('.swagger-ui .info .title').waitFor();
    const board = await w.page.goto(`${s.ui.base}/admin/queues`);
    expect(board?.headers()['content-security-policy']).toContain("script-src 'self'");
    await w.page.getByText(/sync/i).first().waitFor();
    expect(w.consoleErrors).toEqual([]);
    await w.context.close();
  });
});
