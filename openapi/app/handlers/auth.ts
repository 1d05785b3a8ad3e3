import type { Principal } from '../../../core/auth/principal.js';
import { ENTITIES } from '../../../core/model/entities.js';
import type { OperationHandler } from '../context.js';
import { bearer } from '../router.js';
import { sessionClearCookie, sessionCookie, sessionSetCookie } from '../session.js';
import { typedHandlers } from '../typed.js';

const me = (p: Principal) => ({ id: p.id, type: p.type === 'apikey' ? ('apikey' as const) : ('user' as const), username: p.username, displayName: p.displayName, roles: [...p.roles], teamId: p.teamId });
/** Where the session cookie applies: the path the hub is mounted at. */
const cookiePath = (baseUrl: string) => baseUrl || '/';

/** Login, logout and the calling principal. */
export function authHandlers(): Record<string, OperationHandler> {
  return typedHandlers({
    login: {
      access: 'public',
      audit: { action: 'auth.login', entity: 'user' },
      async handle(ctx, deps) {
        const { username, password } = ctx.body;
        // The audit names the targeted user by id (when it exists), never the typed text.
        const user = await deps.store.records.findByNaturalKey(ENTITIES.user, username);
        if (ctx.audit) ctx.audit.recordIds = user ? [user.id] : [];
        const result = await deps.auth.login(username, password, ctx.ip);
        return { status: 200, body: { token: result.token, expiresAt: result.expiresAt }, headers: { 'Cache-Control': 'no-store' } };
      },
    },
    createSession: {
      access: 'public',
      audit: { action: 'auth.login', entity: 'user' },
      async handle(ctx, deps) {
        const { username, password } = ctx.body;
        const user = await deps.store.records.findByNaturalKey(ENTITIES.user, username);
        if (ctx.audit) ctx.audit.recordIds = user ? [user.id] : [];
        const result = await deps.auth.login(username, password, ctx.ip);
        const principal = await deps.auth.authenticate(result.token);
        return {
          status: 200,
          body: { expiresAt: result.expiresAt, user: me(principal) },
          headers: { 'Cache-Control': 'no-store', 'Set-Cookie': sessionSetCookie(result.token, result.expiresAt, cookiePath(ctx.req.baseUrl), ctx.req.secure) },
        };
      },
    },
    deleteSession: {
      access: 'authenticated',
      audit: { action: 'auth.logout', entity: 'user' },
      async handle(ctx, deps) {
        const token = bearer(ctx.req) ?? sessionCookie(ctx.req);
        if (token) await deps.auth.logout(token);
        if (ctx.audit && ctx.principal) ctx.audit.recordIds = [ctx.principal.id];
        return { status: 204, headers: { 'Set-Cookie': sessionClearCookie(cookiePath(ctx.req.baseUrl), ctx.req.secure) } };
      },
    },
    logout: {
      access: 'authenticated',
      audit: { action: 'auth.logout', entity: 'user' },
      async handle(ctx, deps) {
        const header = ctx.req.headers.authorization ?? '';
        await deps.auth.logout(header.replace(/^Bearer\s+/i, '').trim());
        if (ctx.audit && ctx.principal) ctx.audit.recordIds = [ctx.principal.id];
        return { status: 204 };
      },
    },
    getMe: {
      access: 'authenticated',
      async handle(ctx) {
        const p = ctx.principal;
        if (!p) throw new Error('unreachable: authenticated operation without principal');
        return { status: 200, body: me(p) };
      },
    },
  });
}
