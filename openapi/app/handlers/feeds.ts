import { actorName, hasRole, type Principal } from '../../../core/auth/principal.js';
import { ForbiddenError } from '../../../core/errors.js';
import type { FeedRunRow } from '../../../queues/feeds/service.js';
import type { OperationHandler } from '../context.js';
import { decodeCursor, encodeCursor } from '../http-utils.js';
import { typedHandlers, type Schema } from '../typed.js';

/** Who may list and run feeds: administrators and accounts-receivable clerks. */
const FEED_ROLES = ['admin', 'ar_clerk'];

async function feedRoles(principal: Principal): Promise<void> {
  if (!hasRole(principal, ...FEED_ROLES)) throw new ForbiddenError('Feeds are for administrators and accounts-receivable clerks (ar_clerk)');
}

export function feedRunBody(run: FeedRunRow): Schema<'FeedRun'> {
  const { directory, http, files, ...rest } = run;
  return { ...rest, files: files.map((f) => ({ ...f })), delivery: { directory, http } };
}

/** Feeds: the configured ones, their runs, a run on request, and the signing keys' public halves. */
export function feedHandlers(): Record<string, OperationHandler> {
  return typedHandlers({
    listFeeds: {
      access: 'authenticated',
      authorize: feedRoles,
      async handle(_ctx, deps) {
        const feeds = await deps.feeds.list();
        return { status: 200, body: { items: feeds.map((f) => ({ ...f, formats: [...f.formats] as ('csv' | 'jsonl')[], columns: [...f.columns], lastRun: f.lastRun ? feedRunBody(f.lastRun) : null })) } };
      },
    },
    listFeedRuns: {
      access: 'authenticated',
      authorize: feedRoles,
      async handle(ctx, deps) {
        const limit = Number(ctx.query['limit'] ?? 50);
        const cursor = typeof ctx.query['cursor'] === 'string' ? decodeCursor(ctx.query['cursor'], 'feedRuns') : undefined;
        const rows = await deps.feeds.runs(String(ctx.params['id']), limit + 1, cursor ? { createdAt: cursor.value, id: cursor.id } : undefined);
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return { status: 200, body: { items: page.map(feedRunBody), nextCursor: rows.length > limit && last ? encodeCursor('feedRuns', { value: last.createdAt, id: last.id }) : null } };
      },
    },
    runFeed: {
      access: 'authenticated',
      authorize: feedRoles,
      audit: { action: 'feed.run', entity: 'feed' },
      async handle(ctx, deps) {
        const name = String(ctx.params['id']);
        const asOf = ctx.body?.asOf;
        if (ctx.audit) Object.assign(ctx.audit, { recordIds: [name], fields: asOf !== undefined ? ['asOf'] : [] });
        const run = await deps.feeds.run(name, { asOf, origin: 'api', by: actorName(ctx.principal), pointer: '/asOf' });
        if (ctx.audit) ctx.audit.recordIds = [name, `${name}#${run.sequence}`];
        return { status: 201, body: feedRunBody(run) };
      },
    },
    listFeedKeys: {
      access: 'authenticated',
      async handle(_ctx, deps) {
        return { status: 200, body: { items: deps.feeds.keys().map((k) => ({ id: k.id, createdAt: k.createdAt, bits: k.bits, current: k.current, algorithm: 'RSA-SHA256' as const, publicKey: k.publicKey })) } };
      },
    },
  });
}
