import { actorName, SYSTEM_PRINCIPAL } from '../../../core/auth/principal.js';
import { BadRequestError } from '../../../core/errors.js';
import type { ApiKeyRow } from '../../../core/store/auth-repository.js';
import type { OperationHandler } from '../context.js';
import { decodeCursor, encodeCursor, utcInstant } from '../http-utils.js';
import { resourceHandlers } from './records.js';
import { typedHandlers, type Schema } from '../typed.js';
import { auditInTx, idempotentCreate } from './shared.js';

function apiKeyBody(k: ApiKeyRow): Schema<'ApiKey'> {
  return { id: k.id, name: k.name, roles: [...k.roles], prefix: k.prefix, createdAt: k.createdAt, expiresAt: k.expiresAt, lastUsedAt: k.lastUsedAt, createdBy: k.createdBy };
}

/** Users, teams, API keys and the audit trail. */
export function adminHandlers(): Record<string, OperationHandler> {
  return {
    ...resourceHandlers('user', 'admin', {
      create: (deps, input, tx) => deps.auth.createUser(input, tx),
      update: (deps, id, patch, ifMatch, tx) => deps.auth.updateUser(id, patch, ifMatch, tx),
      remove: (deps, id, ifMatch, principal, tx) => deps.auth.deleteUser(id, ifMatch, principal ?? SYSTEM_PRINCIPAL, tx),
    }),
    ...resourceHandlers('team', 'admin'),
    ...typedHandlers({
      listApiKeys: {
        access: 'admin',
        audit: { action: 'apikey.list', entity: 'apikey' },
        async handle(ctx, deps) {
          const limit = Number(ctx.query['limit'] ?? 50);
          const after = typeof ctx.query['cursor'] === 'string' ? decodeCursor(ctx.query['cursor'], 'createdAt') : undefined;
          const rows = await deps.store.auth.listApiKeys(limit + 1, after ? { createdAt: after.value, id: after.id } : undefined);
          const page = rows.slice(0, limit);
          const last = page[page.length - 1];
          if (ctx.audit) ctx.audit.recordIds = page.map((k) => k.id);
          return { status: 200, body: { items: page.map(apiKeyBody), nextCursor: rows.length > limit && last ? encodeCursor('createdAt', { value: last.createdAt, id: last.id }) : null } };
        },
      },
      createApiKey: {
        access: 'admin',
        audit: { action: 'apikey.create', entity: 'apikey' },
        handle: (ctx, deps) =>
          idempotentCreate(ctx, deps, async (tx) => {
            // Compared and stored as a UTC instant (an offset or a leap second is no 500).
            const body = ctx.body.expiresAt ? { ...ctx.body, expiresAt: utcInstant(ctx.body.expiresAt, '/expiresAt') } : ctx.body;
            const key = await deps.auth.createApiKey(body, actorName(ctx.principal), tx);
            if (ctx.audit) Object.assign(ctx.audit, { recordIds: [key.id], fields: Object.keys(body).sort() });
            await auditInTx(tx, ctx, 201);
            return { status: 201, body: { ...apiKeyBody(key), secret: key.secret }, headers: { Location: `${ctx.baseUrl}/api/v1/api-keys/${key.id}` } };
          }),
      },
      deleteApiKey: {
        access: 'admin',
        audit: { action: 'apikey.revoke', entity: 'apikey' },
        async handle(ctx, deps) {
          await deps.auth.revokeApiKey(String(ctx.params['id']));
          return { status: 204 };
        },
      },

      listAudit: {
        access: 'auditor',
        audit: { action: 'audit.read', entity: null },
        async handle(ctx, deps) {
          const limit = Number(ctx.query['limit'] ?? 50);
          const str = (k: string) => (typeof ctx.query[k] === 'string' ? (ctx.query[k] as string) : undefined);
          const cursor = str('cursor');
          const before = cursor ? decodeCursor(cursor, 'audit').id : undefined;
          if (before !== undefined && !/^\d+$/.test(before)) throw new BadRequestError('The cursor is invalid', [{ pointer: '/query/cursor', detail: 'is not a cursor from a previous page of the audit trail' }]);
          const from = str('from');
          const to = str('to');
          const rows = await deps.store.audit.list({
            limit: limit + 1,
            ...(str('actor') ? { actor: str('actor') as string } : {}),
            ...(str('action') ? { action: str('action') as string } : {}),
            ...(str('entity') ? { entity: str('entity') as string } : {}),
            ...(from ? { from: utcInstant(from, '/query/from') } : {}),
            ...(to ? { to: utcInstant(to, '/query/to') } : {}),
            ...(before ? { beforeId: before } : {}),
          });
          const page = rows.slice(0, limit);
          const last = page[page.length - 1];
          return {
            status: 200,
            body: {
              items: page.map((r) => ({ ...r, recordIds: [...r.recordIds], fields: [...r.fields] })),
              nextCursor: rows.length > limit && last ? encodeCursor('audit', { value: '', id: last.id }) : null,
            },
          };
        },
      },
    }),
  };
}
