import { ENTITIES, RECORD_KINDS } from '../../../core/model/entities.js';
import { loadedSpec } from '../spec.js';
import type { OperationHandler } from '../context.js';
import { typedHandlers } from '../typed.js';

/** The API's index, liveness, readiness and Prometheus metrics. */
export function opsHandlers(): Record<string, OperationHandler> {
  return typedHandlers({
    getApiIndex: {
      access: 'public',
      async handle(ctx) {
        const base = ctx.baseUrl;
        const info = (loadedSpec().document['info'] ?? {}) as { title?: string; version?: string };
        return {
          status: 200,
          body: {
            name: info.title ?? 'ERP–CRM Sync Hub API',
            version: info.version ?? '',
            links: { docs: `${base}/docs/`, openapi: `${base}/openapi.json`, health: `${base}/healthz` },
            collections: Object.fromEntries(RECORD_KINDS.map((k) => [ENTITIES[k].plural, `${base}/api/v1/${ENTITIES[k].plural}`])),
          },
        };
      },
    },
    health: { access: 'public', handle: async () => ({ status: 200, body: { status: 'ok' } }) },
    ready: {
      access: 'public',
      async handle(_ctx, deps) {
        const checks = await deps.ready();
        const ok = Object.values(checks).every((c) => c.ok);
        return { status: ok ? 200 : 503, body: { status: ok ? 'ready' : 'not_ready', checks }, headers: { 'Cache-Control': 'no-store' } };
      },
    },
    metrics: {
      access: 'public',
      async handle(_ctx, deps) {
        return { status: 200, body: await deps.metrics.metrics(), contentType: deps.metrics.contentType };
      },
    },
  });
}
