/**
 * `npm run bench -- ui`: how fast the web UI's first page is interactive, in Debian's Chromium against
 * `hub serve` with the demo data (goal: under 1 s on the local machine). For a signed-in user, from
 * navigation to the customers table on screen (bundle loaded, who-am-I, permissions, the first page of
 * customers), median of several cold page loads (a new browser context each: no cache). Baseline in
 * the same run: the same navigation to a page with no script (`/healthz`), so the ratio says what the
 * UI adds over the browser's own cost. Also the bundle size as the browser receives it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { chromium } from 'playwright-core';
import { DEMO_PASSWORD } from '../core/demo/seed.js';
import { createHub } from '../hub/create-hub.js';
import { median } from './harness.js';
import { deleteRedisPrefix } from './sync-setup.js';

const RUNS = 7;

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-bench-ui-'));
  const prefix = `bench-ui-${randomUUID()}`;
  const hub = createHub({
    env: { HUB_DB: `sqlite://${join(dir, 'hub.db')}`, HUB_DATA_DIR: dir, REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', HUB_ADMIN_PASSWORD: 'bench-admin-password', HUB_DEMO: '1' },
    logger: pino({ level: 'silent' }),
    redisPrefix: prefix,
    runWorkers: false,
  });
  await hub.start();
  const { url } = await hub.listen(0, '127.0.0.1');
  const base = url.replace(/\/$/, '');
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  try {
    const session = await fetch(`${base}/api/v1/auth/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'director', password: DEMO_PASSWORD }) });
    const cookies = session.headers.getSetCookie().map((c) => {
      const [pair = ''] = c.split(';');
      const [name = '', value = ''] = pair.split('=');
      return { name, value, url: base };
    });
    const ui: number[] = [];
    const plain: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addCookies(cookies);
      const page = await context.newPage();
      let received = 0;
      page.on('response', (r) => {
        if (!r.url().includes('/api/')) void r.body().then((b) => (received += b.length), () => undefined);
      });
      const started = performance.now();
      await page.goto(`${base}/`);
      await page.getByRole('table').waitFor();
      ui.push(performance.now() - started);
      bytes = received;
      const again = performance.now();
      await page.goto(`${base}/healthz`);
      plain.push(performance.now() - again);
      await context.close();
    }
    const [l1, l5] = loadavg();
    const u = median(ui);
    const p = median(plain);
    console.log(`web UI first page (customers, signed in as director, demo data), ${RUNS} cold loads in Debian Chromium`);
    console.log(`  interactive:      median ${u.toFixed(0)} ms (min ${Math.min(...ui).toFixed(0)}, max ${Math.max(...ui).toFixed(0)}) — goal < 1000 ms`);
    console.log(`  baseline /healthz: median ${p.toFixed(0)} ms; ratio UI / baseline ${(u / p).toFixed(1)}`);
    console.log(`  static files received: ${(bytes / 1024).toFixed(1)} kB (uncompressed; the hub does not gzip)`);
    console.log(`  machine: load average ${l1!.toFixed(2)} (1 min), ${l5!.toFixed(2)} (5 min)`);
  } finally {
    await browser.close();
    await hub.stop();
    await deleteRedisPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  }
}
