import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { Counter, Histogram } from 'prom-client';
import { actorName, hasRole, type Principal } from '../../core/auth/principal.js';
import { checkSameOrigin, sessionCookie } from './session.js';
import { BadRequestError, ForbiddenError, HubError, PayloadTooLargeError, UnauthorizedError, foreignErrorSummary } from '../../core/errors.js';
import { CidrSet, clientAddress, normalizeIp } from '../../core/net/ip.js';
import type { AuditOutcome } from '../../core/store/audit-repository.js';
import type { AppDeps, OperationHandler, RequestContext } from './context.js';
import { negotiate } from './negotiate.js';
import { problemOf, sendProblem } from './problem.js';
import type { LoadedSpec, OperationSpec } from './spec.js';
import { toProblems, type SpecValidator } from './validation.js';

export const MAX_BODY_BYTES = 1024 * 1024;

declare module 'express-serve-static-core' {
  interface Request {
    hubRequestId?: string;
    hubIp?: string;
    /**
     * Whether the client reached the hub over HTTPS: the connection itself, or a trusted proxy
     * (`security.trustedProxies`) that says so in X-Forwarded-Proto. Session cookies get `Secure` then.
     */
    hubSecure?: boolean;
    /** The host the client addressed: Host, or X-Forwarded-Host from a trusted proxy. */
    hubHost?: string | undefined;
    /** The body's bytes, for operations whose handler reads them raw (webhooks). */
    hubRawBody?: Buffer;
    /** Why the body could not be read; answered once the caller is known to may use the operation. */
    hubBodyError?: HubError;
  }
}

/** The bearer credential of a request, if it sends one; a malformed Authorization header is a 401. */
export function bearer(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new UnauthorizedError('The Authorization header must be "Bearer <token>"');
  return match[1];
}

function checkAccess(handler: OperationHandler, principal: Principal | undefined): void {
  if (handler.access === 'public') return;
  if (!principal) throw new UnauthorizedError();
  switch (handler.access) {
    case 'admin':
      if (!hasRole(principal, 'admin')) throw new ForbiddenError('This operation is for administrators');
      return;
    case 'auditor':
      if (!hasRole(principal, 'admin', 'auditor')) throw new ForbiddenError('The audit trail is for administrators and auditors');
      return;
    case 'business':
      if (principal.roles.length === 0) throw new ForbiddenError('The caller has no role');
      return;
    default:
      return;
  }
}

/** 415 naming the media types the operation takes (as `Accept-Patch` on a PATCH, RFC 5789, and `Accept-Post` on a POST). */
function unsupportedMediaType(op: OperationSpec): HubError {
  const types = op.body?.mediaTypes ?? [];
  const header = op.method === 'patch' ? 'Accept-Patch' : op.method === 'post' ? 'Accept-Post' : undefined;
  return new HubError('unsupported_media_type', 415, `The body must be sent as ${types.join(' or ')}`, [{ pointer: '/header/Content-Type', detail: `must be ${types.join(' or ')}` }], header ? { [header]: types.join(', ') } : {});
}

function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 'success';
  return status === 401 || status === 403 ? 'denied' : 'failure';
}

/**
 * Builds the hub's express router from the spec: every operation in `openapi.yaml` is served by
 * the handler of the same operationId (a missing handler stops the hub at start), with its path,
 * query, headers and body validated against the spec before the handler runs.
 */
export function buildRouter(
  spec: LoadedSpec,
  validator: SpecValidator,
  handlers: Readonly<Record<string, OperationHandler>>,
  deps: AppDeps,
  /** Routes served after the IP restriction but outside the spec (docs, the spec itself). */
  extras: (router: Router) => void = () => undefined,
): Router {
  const missing = spec.operations.filter((op) => !handlers[op.operationId]).map((op) => op.operationId);
  if (missing.length > 0) throw new Error(`operations without a handler: ${missing.join(', ')}`);

  const allowed = new CidrSet(deps.config.file.security.allowedCidrs);
  const trusted = new CidrSet(deps.config.file.security.trustedProxies);
  const requests = new Counter({ name: 'hub_http_requests_total', help: 'HTTP requests by operation and status', labelNames: ['operation', 'method', 'status'], registers: [deps.metrics] });
  const duration = new Histogram({ name: 'hub_http_request_duration_seconds', help: 'HTTP request duration by operation', labelNames: ['operation'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [deps.metrics] });

  const audit = async (ctx: { principal: Principal | undefined; ip: string }, action: string, entity: string | null, recordIds: string[], fields: string[], status: number): Promise<void> => {
    try {
      await deps.store.audit.append({
        time: new Date().toISOString(),
        actor: actorName(ctx.principal),
        actorType: ctx.principal?.type === 'apikey' ? 'apikey' : ctx.principal ? 'user' : 'anonymous',
        sourceIp: ctx.ip,
        action,
        entity,
        recordIds,
        fields,
        outcome: outcomeOf(status),
        status,
      });
    } catch (error) {
      deps.log.error({ err: { message: (error as Error).message }, action }, 'audit write failed');
    }
  };

  const router = express.Router();

  router.use((req, res, next) => {
    const requestId = randomUUID();
    req.hubRequestId = requestId;
    req.hubIp = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trusted);
    const viaProxy = trusted.size > 0 && trusted.has(normalizeIp(req.socket.remoteAddress ?? ''));
    const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();
    req.hubSecure = req.secure || (viaProxy && first(req.headers['x-forwarded-proto'])?.toLowerCase() === 'https');
    req.hubHost = (viaProxy ? first(req.headers['x-forwarded-host']) : undefined) ?? req.headers.host;
    res.setHeader('X-Request-Id', requestId);
    // Security headers on every answer (the web UI's pages add their Content-Security-Policy).
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const operation = (res.locals['operationId'] as string | undefined) ?? 'unmatched';
      requests.inc({ operation, method: req.method, status: String(res.statusCode) });
      duration.observe({ operation }, seconds);
      deps.log.info({ requestId, method: req.method, operation, status: res.statusCode, ms: Math.round(seconds * 1000), ip: req.hubIp }, 'request');
    });
    next();
  });

  // IP restriction comes before anything else; health probes stay reachable for orchestrators.
  router.use((req, res, next) => {
    if (allowed.size === 0 || req.path === '/healthz' || req.path === '/readyz') return next();
    const ip = req.hubIp ?? 'unknown';
    if (allowed.has(ip)) return next();
    void audit({ principal: undefined, ip }, 'access.denied', null, [], [], 403);
    sendProblem(res, problemOf(new ForbiddenError('Requests from this address are not allowed'), req.hubRequestId ?? '').body);
  });

  extras(router);

  // Handlers that check a signature over the body get its exact bytes: read raw (any media type)
  // before the JSON parser, which then skips the already-read request.
  for (const op of spec.operations) {
    if (!handlers[op.operationId]?.rawBody) continue;
    router[op.method](op.expressPath, express.raw({ limit: MAX_BODY_BYTES, type: () => true }), (req: Request, _res: Response, next: NextFunction) => {
      req.hubRawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      req.body = undefined;
      next();
    });
  }
  router.use(express.json({ limit: MAX_BODY_BYTES, type: ['application/json', 'application/merge-patch+json', 'application/*+json'], strict: false }));
  // A body that cannot be read is not answered here: the operation answers it after authentication
  // and authorization, so a caller who may not use the operation learns nothing from it.
  router.use((error: unknown, req: Request, _res: Response, next: NextFunction) => {
    const e = error as { type?: string; status?: number };
    if (!e?.status || e.status < 400 || e.status >= 500) return next(error);
    req.body = undefined;
    if (e.type === 'entity.too.large') req.hubBodyError = new PayloadTooLargeError(MAX_BODY_BYTES);
    else if (e.status === 415) req.hubBodyError = new HubError('unsupported_media_type', 415, 'The body\'s charset or content coding is not supported (send UTF-8 JSON)', [{ pointer: '/header/Content-Type', detail: 'names a charset or coding the hub cannot read' }]);
    else if (e.type === 'entity.parse.failed') req.hubBodyError = new BadRequestError('The body is not valid JSON', [{ pointer: '/body', detail: 'is not valid JSON' }]);
    else req.hubBodyError = new BadRequestError('The body could not be read', [{ pointer: '/body', detail: 'could not be read' }]);
    next();
  });

  for (const op of spec.operations) {
    const handler = handlers[op.operationId] as OperationHandler;
    const validators = validator.byOperation.get(op.operationId);
    for (const path of [op.expressPath, ...op.formerPaths]) {
      router[op.method](path, (req: Request, res: Response) => {
        res.locals['operationId'] = op.operationId;
        void serve(op, handler, validators, req, res);
      });
    }
  }

  // Known path, other method → 405; anything else under /api → 404, both as problem+json.
  const knownPaths = spec.operations.flatMap((op) => [op.path, ...op.formerPaths].map((path) => ({ re: new RegExp('^' + path.replace(/\{[^}]+\}/g, '[^/]+') + '$'), method: op.method.toUpperCase() })));
  router.use((req, res, next) => {
    const matching = knownPaths.filter((k) => k.re.test(req.path));
    const id = req.hubRequestId ?? '';
    if (matching.length > 0) {
      res.setHeader('Allow', [...new Set(matching.map((m) => m.method))].join(', '));
      return sendProblem(res, { type: 'about:blank', title: 'Method Not Allowed', status: 405, detail: `${req.method} is not allowed here`, instance: `urn:request:${id}` });
    }
    if (req.path === '/api' || req.path.startsWith('/api/')) {
      const path = req.path.length > 200 ? `${req.path.slice(0, 200)}…` : req.path;
      return sendProblem(res, problemOf(new HubError('not_found', 404, `No resource at ${req.baseUrl}${path}`, [{ pointer: '/path', detail: `${req.baseUrl}${path} is not a path of this API (see ${req.baseUrl}/api/v1 and ${req.baseUrl}/docs/)` }]), id).body);
    }
    next();
  });

  async function serve(op: OperationSpec, handler: OperationHandler, validators: ReturnType<SpecValidator['byOperation']['get']>, req: Request, res: Response): Promise<void> {
    const requestId = req.hubRequestId ?? randomUUID();
    const ip = req.hubIp ?? 'unknown';
    let principal: Principal | undefined;
    let ctx: RequestContext | undefined;
    try {
      // An operation without security (`security: []`: login, probes, webhooks) looks at no credential.
      let token = handler.access === 'public' ? undefined : bearer(req);
      if (token === undefined && handler.access !== 'public') {
        // The web UI's session cookie (session.ts): only when no Authorization header is sent.
        token = sessionCookie(req);
        if (token !== undefined) checkSameOrigin(req);
      }
      if (token) principal = await deps.auth.authenticate(token);
      checkAccess(handler, principal);
      if (principal && handler.authorize) await handler.authorize(principal, deps, req.params as Record<string, string>);
      if (req.hubBodyError) throw req.hubBodyError;
      const params = { ...(req.params as Record<string, string>) };
      const query: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
      for (const p of op.parameters) if (p.commaSeparated && typeof query[p.name] === 'string') query[p.name] = (query[p.name] as string).split(',');
      const headers: Record<string, unknown> = { ...req.headers };
      validator.check(validators?.path, params, '/path', 'path');
      validator.checkQuery(validators, query);
      validator.checkHeaders(validators, headers);
      const mediaType = op.produces ? negotiate(req.headers.accept, op.produces) : undefined;
      let body: unknown = req.body;
      if (handler.rawBody) body = undefined;
      else if (op.body) {
        const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
        if (hasBody && !req.is([...op.body.mediaTypes])) throw unsupportedMediaType(op);
        if (body === undefined && op.body.required) throw new BadRequestError('A JSON body is required', [{ pointer: '/body', detail: 'is required' }]);
        // An optional body (requestBody.required: false) may be left out.
        if (body !== undefined) validator.checkBody(validators?.body, body);
      } else body = undefined;
      ctx = {
        req, op, requestId, principal, ip, params, query, headers, body,
        baseUrl: req.baseUrl,
        audit: handler.audit ? { action: handler.audit.action, entity: handler.audit.entity, recordIds: params['id'] ? [params['id']] : [], fields: [] } : undefined,
        audited: false,
        ...(handler.rawBody ? { rawBody: req.hubRawBody ?? Buffer.alloc(0) } : {}),
        ...(mediaType ? { mediaType } : {}),
      };
      const result = await handler.handle(ctx, deps);
      if (deps.validateResponses && result.body !== undefined && !result.contentType) {
        const check = validators?.responses[String(result.status)];
        if (!check) throw new HubError('response_invalid', 500, `response ${result.status} of ${op.operationId} is not in the spec`);
        if (!check(result.body)) {
          const problems = toProblems(check.errors ?? [], '');
          throw new HubError('response_invalid', 500, `response of ${op.operationId} does not match the spec: ${problems.map((p) => `${p.pointer} ${p.detail}`).join('; ')}`);
        }
      }
      if (op.produces && op.produces.length > 1) res.setHeader('Vary', 'Accept');
      for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
      if (result.body === undefined) res.status(result.status).end();
      else if (result.contentType) res.status(result.status).type(result.contentType).send(result.body);
      else res.status(result.status).json(result.body);
      if (ctx.audit && !ctx.audited) await audit(ctx, ctx.audit.action, ctx.audit.entity, ctx.audit.recordIds, ctx.audit.fields, result.status);
    } catch (error) {
      const { body, headers } = problemOf(error, requestId);
      if (body.status >= 500) {
        // A driver's message can quote a value ("Incorrect decimal value: '…'"): log the kind of error
        // and where it arose, not its text, unless it is one of the hub's own (safe) errors.
        const e = error as Error & { errno?: unknown };
        const where = (e.stack ?? '').split('\n').slice(1, 4).map((l) => l.trim());
        const summary = error instanceof HubError ? { name: e.name, code: error.code, message: e.message } : foreignErrorSummary(error);
        const errno = typeof e.errno === 'number' ? { errno: e.errno } : {};
        deps.log.error({ requestId, operation: op.operationId, err: { ...summary, ...errno, where } }, 'request failed');
      }
      if (!res.headersSent) sendProblem(res, body, headers);
      const info = ctx?.audit ?? (handler.audit ? { ...handler.audit, recordIds: req.params['id'] ? [String(req.params['id'])] : [], fields: [] } : undefined);
      const fields = ctx?.audit?.fields.length ? ctx.audit.fields : req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? Object.keys(req.body as object).sort() : [];
      if (info) await audit({ principal, ip }, info.action, info.entity, info.recordIds, fields, body.status);
    }
  }

  return router;
}
