import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { createHub, type Hub } from '../../hub/create-hub.js';
import { ADMIN_PASSWORD, REDIS_URL, deleteRedisPrefix } from '../helpers.js';

/**
 * Headless Chromium from Debian's package (/usr/bin/chromium), driven by playwright-core; never a
 * downloaded browser. The flags keep it off the network this machine does not have.
 */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const SCREENSHOTS = 'test-output/screenshots';

export function haveChromium(): boolean {
  return existsSync(CHROMIUM);
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** A page that records console errors, failed requests and every response body it received. */
export interface WatchedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  readonly consoleErrors: string[];
  /** URL → body text of each API response the page got. */
  readonly responses: { url: string; status: number; body: string }[];
  settle(): Promise<void>;
}

export async function watchedPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport, locale: 'en-US' });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const responses: { url: string; status: number; body: string }[] = [];
  const pending: Promise<void>[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('response', (r) => {
    if (!r.url().includes('/api/')) return;
    pending.push(r.text().then((body) => void responses.push({ url: r.url(), status: r.status(), body }), () => undefined));
  });
  return {
    page,
    context,
    consoleErrors,
    responses,
    settle: async () => {
      await page.waitForLoadState('networkidle');
      await Promise.all(pending);
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}

export async function signIn(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel(/Username|用户名/).fill(username);
  await page.getByLabel(/Password|密码/).fill(password);
  await page.getByRole('button', { name: /Sign in|登录/ }).click();
  await page.getByTestId('me').waitFor();
}

/** `hub serve` with the demo data on a private SQLite store and Redis prefix, listening on 127.0.0.1. */
export async function startUiHub(options: { workers?: boolean } = {}): Promise<{ hub: Hub; base: string; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-ui-'));
  const prefix = `test-ui-${randomUUID()}`;
  const hub = createHub({
    env: { HUB_DB: `sqlite://${join(dir, 'hub.db')}`, HUB_DATA_DIR: dir, REDIS_URL, HUB_ADMIN_PASSWORD: ADMIN_PASSWORD, HUB_DEMO: '1' },
    logger: pino({ level: 'silent' }),
    redisPrefix: prefix,
    validateResponses: true,
    runWorkers: options.workers ?? false,
  });
  await hub.start();
  const base = (await hub.listen(0, '127.0.0.1')).url.replace(/\/$/, '');
  return {
    hub,
    base,
    close: async () => {
      await hub.stop();
      await deleteRedisPrefix(prefix);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An accessibility rule the page breaks, as axe-core reports it: the rule, its impact and where. */
export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let axeSource: string | undefined;

/**
 * Runs axe-core (the installed package, never a download) on the page as it is now and returns the
 * violations of the given impacts (default serious and critical). `page.addScriptTag` cannot load
 * it: the hub's CSP (`script-src 'self'`) refuses an inline script, and a context with `bypassCSP`
 * would also hide the page's own CSP violations. DevTools evaluation is not subject to the page's
 * CSP, so axe is evaluated that way, in the page's main world, with the CSP left on.
 */
export async function axeViolations(page: Page, impacts: readonly string[] = ['serious', 'critical']): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(AXE_SOURCE, 'utf8');
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axeSource);
  const violations = (await page.evaluate(`window.axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })))`)) as AxeViolation[];
  return violations.filter((v) => v.impact !== null && impacts.includes(v.impact));
}

/**
 * A suite's hub with the demo data and its browser: started before the suite's tests, stopped after
 * them. Read `ui` and `browser` inside the tests (they are set once the suite has started).
 */
export function uiSuite(options: { workers?: boolean } = {}): { ui: Awaited<ReturnType<typeof startUiHub>>; browser: Browser } {
  const suite = {} as { ui: Awaited<ReturnType<typeof startUiHub>>; browser: Browser };
  beforeAll(async () => {
    suite.ui = await startUiHub(options);
    suite.browser = await launch();
  }, 120_000);
  afterAll(async () => {
    await suite.browser?.close();
    await suite.ui?.close();
  });
  return suite;
}
