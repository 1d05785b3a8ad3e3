import type { OperationHandler } from '../context.js';

/** Liveness, readiness and Prometheus metrics. */
export function opsHandlers(): Record<string, OperationHandler> {
  return {
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
  };
}
