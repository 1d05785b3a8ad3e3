import type { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { AppDeps } from './context.js';
import { allHandlers } from './handlers/index.js';
import { QUEUE_BOARD_PATH, queueBoard } from './queue-board.js';
import { buildRouter } from './router.js';
import { loadedSpec, type LoadedSpec } from './spec.js';
import { SpecValidator } from './validation.js';
import { PACKAGED_PAGE_CSP, webUi } from './web-ui.js';

let validator: SpecValidator | undefined;

export { loadedSpec };

/** The spec and its compiled validators (compiling them costs; only the API needs them), built once per process. */
export function specAndValidator(): { spec: LoadedSpec; validator: SpecValidator } {
  const s = loadedSpec();
  validator ??= new SpecValidator(s);
  return { spec: s, validator };
}

/**
 * The hub's HTTP surface as one express router: the API under `/api/v1`, `/openapi.json`,
 * interactive docs at `/docs` (served from the swagger-ui-dist package, no network needed),
 * `/healthz`, `/readyz`, `/metrics`, and the sync queues' board at `/admin/queues` (admins). Mount it at `/` or under any path of a host app.
 */
export function createApiRouter(deps: AppDeps): Router {
  const { spec, validator } = specAndValidator();
  return buildRouter(spec, validator, allHandlers(), deps, (router) => {
  // The built-in web UI at the root (web-ui.ts).
  router.use(webUi());
  router.get('/openapi.json', (req, res) => {
    // Point "try it out" at wherever the hub is mounted.
    res.json({ ...spec.document, servers: [{ url: req.baseUrl || '/' }] });
  });
  router.get('/docs', (req, res, next) => (req.originalUrl.split('?')[0]?.endsWith('/') ? next() : res.redirect(301, `${req.baseUrl}/docs/`)));
  // Swagger UI and bull-board run no inline script: a CSP keeps it that way (web-ui.ts).
  router.use(['/docs', QUEUE_BOARD_PATH], (_req, res, next) => {
    res.setHeader('Content-Security-Policy', PACKAGED_PAGE_CSP);
    next();
  });
  // bull-board on the sync queues, for administrators (see queue-board.ts).
  router.use(QUEUE_BOARD_PATH, queueBoard(deps));
  router.use('/docs', swaggerUi.serveFiles(undefined, { swaggerOptions: { url: '../openapi.json', validatorUrl: null } }), swaggerUi.setup(undefined, { swaggerOptions: { url: '../openapi.json', validatorUrl: null }, customSiteTitle: 'ERP–CRM Sync Hub API' }));
  });
}
