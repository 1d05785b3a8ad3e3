import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { type Request, type Response, type Router } from 'express';
import { hasRole } from '../../core/auth/principal.js';
import { ForbiddenError, UnauthorizedError, foreignErrorSummary } from '../../core/errors.js';
import type { AppDeps } from './context.js';
import { problemOf, sendProblem } from './problem.js';
import { bearer } from './router.js';
import { checkSameOrigin, sessionCookie } from './session.js';

/** Where the queue board is served, under wherever the hub is mounted. */
export const QUEUE_BOARD_PATH = '/admin/queues';
export const QUEUE_BOARD_COOKIE = 'hub_token';

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function setCookie(req: Request, res: Response, value: string, maxAge?: number): void {
  const attrs = [`${QUEUE_BOARD_COOKIE}=${encodeURIComponent(value)}`, `Path=${req.baseUrl || '/'}`, 'HttpOnly', 'SameSite=Strict'];
  if (maxAge !== undefined) attrs.push(`Max-Age=${maxAge}`);
  if (req.hubSecure ?? req.secure) attrs.push('Secure');
  res.append('Set-Cookie', attrs.join('; '));
}

/**
 * bull-board on the sync engine's delivery and ingest queues, for administrators only, read-only
 * (replays and discards go through the audited API). The credential is the API's own: a bearer
 * token or API key in `Authorization`, or once as `?token=` (a browser cannot send the header);
 * either sets an HttpOnly, SameSite=Strict cookie scoped to the board, which later requests use.
 * The web UI's session cookie (session.ts, sent to every path under the mount) is taken last, so an
 * administrator signed in to the web UI opens the board from its link without a token; a write
 * signed in that way must come from the hub's own pages, as on the API.
 */
let views: string | undefined;

/**
 * bull-board's page template without its Google Fonts stylesheet: the hub fetches nothing from the
 * internet (the board falls back to the system font), and the page's CSP would refuse it anyway.
 * Written once per process to a private temporary folder.
 */
function offlineViews(): string {
  if (views) return views;
  const original = readFileSync(join(dirname(createRequire(import.meta.url).resolve('@bull-board/ui/package.json')), 'dist', 'index.ejs'), 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'hub-board-views-'));
  writeFileSync(join(dir, 'index.ejs'), original.replace(/<link[^>]*href="https?:\/\/[^"]*"[^>]*>/g, ''));
  views = dir;
  return dir;
}

export function queueBoard(deps: AppDeps): Router {
  const queues = [...[...deps.sync.targets.values()].map((t) => t.queue), ...[...deps.sync.sources.values()].map((s) => s.queue)];
  // The UI needs its absolute base path; the hub may be mounted anywhere, so one board per mount.
  const boards = new Map<string, express.Router>();
  const boardFor = (base: string) => {
    let board = boards.get(base);
    if (!board) {
      const adapter = new ExpressAdapter();
      adapter.setBasePath(base);
      createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true })), serverAdapter: adapter, options: { uiConfig: { boardTitle: 'Hub sync queues' } } });
      adapter.setViewsPath(offlineViews());
      board = adapter.getRouter() as express.Router;
      if (boards.size < 16) boards.set(base, board);
    }
    return board;
  };

  const router = express.Router();
  router.use(async (req, res, next) => {
    const fromCookie = cookie(req, QUEUE_BOARD_COOKIE);
    try {
      const header = bearer(req);
      const query = typeof req.query['token'] === 'string' ? req.query['token'] : undefined;
      const session = header ?? query ?? fromCookie ? undefined : sessionCookie(req);
      const token = header ?? query ?? fromCookie ?? session;
      if (!token) throw new UnauthorizedError('Sign in: send Authorization: Bearer <token>, open the board once with ?token=<token>, or sign in to the web UI');
      if (session) checkSameOrigin(req);
      const principal = await deps.auth.authenticate(token);
      if (!hasRole(principal, 'admin')) throw new ForbiddenError('The queue board is for administrators');
      if ((header || query) && token !== fromCookie) setCookie(req, res, token);
      if (query) {
        // Take the credential out of the address bar (and out of history and Referer headers).
        const rest = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
        rest.delete('token');
        const qs = rest.toString();
        return res.redirect(303, `${req.baseUrl}${req.path}${qs ? `?${qs}` : ''}`);
      }
      return boardFor(req.baseUrl)(req, res, next);
    } catch (error) {
      const { body, headers } = problemOf(error, req.hubRequestId ?? '');
      if (body.status === 401 && fromCookie) setCookie(req, res, '', 0);
      if (body.status >= 500) deps.log.error({ err: foreignErrorSummary(error) }, 'queue board failed');
      return sendProblem(res, body, headers);
    }
  });
  return router;
}
