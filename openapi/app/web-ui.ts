import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response, type Router } from 'express';

/**
 * The built-in web UI (openapi/ui, built by `npm run build` into dist/ui): static files served at
 * the root of wherever the hub is mounted. The page is the same everywhere (relative asset URLs,
 * hash routes); it talks only to the public API. Served with a Content-Security-Policy that allows
 * script and style from the hub's own origin only (no inline script, nothing from elsewhere).
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The CSP of the pages the hub serves from packages (Swagger UI at /docs, bull-board at
 * /admin/queues): their scripts are files of their own, so script comes from the hub's origin only;
 * both put a <style> element in their page, so styles may be inline. Nothing from elsewhere.
 */
export const PACKAGED_PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The folder of the built UI: beside the compiled code (dist/openapi/app → dist/ui), or dist/ui from the sources. */
export function uiDir(): string | undefined {
  for (const rel of ['../../ui/', '../../dist/ui/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  return undefined;
}

export function webUi(): Router {
  const router = express.Router();
  const dir = uiDir();
  let page: string | undefined;
  const index = (req: Request, res: Response) => {
    res.setHeader('Content-Security-Policy', UI_CSP);
    res.setHeader('Cache-Control', 'no-cache');
    if (!dir) {
      res.status(503).type('text/plain').send('The web UI is not built: run `npm run build` (npm ci runs it). The API is at ./api/v1 and its docs at ./docs/.');
      return;
    }
    page ??= readFileSync(`${dir}index.html`, 'utf8');
    res.type('html').send(page);
  };
  router.get('/', (req, res) => {
    // `/hub` → `/hub/`: the page's relative URLs need the trailing slash.
    if (!req.originalUrl.split('?')[0]?.endsWith('/')) return res.redirect(301, `${req.baseUrl}/`);
    index(req, res);
  });
  router.get('/index.html', index);
  if (dir) {
    router.use(
      '/assets',
      express.static(`${dir}assets`, {
        immutable: true,
        maxAge: '365d',
        index: false,
        fallthrough: true,
        setHeaders: (res) => res.setHeader('Content-Security-Policy', UI_CSP),
      }),
    );
  }
  return router;
}
