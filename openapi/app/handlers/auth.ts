import type { Principal } from '../../../core/auth/principal.js';
import { ENTITIES, ENTITY_NAMES, type EntityName } from '../../../core/model/entities.js';
import type { AppDeps, OperationHandler, RequestContext } from '../context.js';
import { bearer } from '../router.js';
import { sessionClearCookie, sessionCookie, sessionSetCookie } from '../session.js';
import { loadedSpec } from '../spec.js';
import { typedHandlers } from '../typed.js';

/** The fields a create of `entity` must name (its `<Type>Create` schema's required list). */
function requiredOnCreate(entity: EntityName): string[] {
  const schemas = (loadedSpec().document['components'] as { schemas: Record<string, { required?: string[] }> }).schemas;
  return schemas[`${ENTITIES[entity].typeName}Create`]?.required ?? [];
}

/** A password login (throttled, audited by the targeted user's id when it exists, never the typed text). */
async function passwordLogin(ctx: RequestContext, deps: AppDeps, body: { username: string; password: string }) {
  const user = await deps.store.records.findByNaturalKey(ENTITIES.user, body.username);
  if (ctx.audit) ctx.audit.recordIds = user ? [user.id] : [];
  return deps.auth.login(body.username, body.password, ctx.ip);
}

/** The principal as `getMe` answers it, with its team's name (the caller may not list teams). */
async function me(deps: AppDeps, p: Principal) {
  const team = p.teamId ? await deps.store.records.get(ENTITIES.team, p.teamId) : undefined;
  const teamName = typeof team?.['name'] === 'string' ? team['name'] : null;
  return { id: p.id, type: p.type === 'apikey' ? ('apikey' as const) : ('user' as const), username: p.username, displayName: p.displayName, roles: [...p.roles], teamId: p.teamId, teamName };
}
/** Where the session cookie applies: the path the hub is mounted at (only plain path characters; else `/`). */
const cookiePath = (baseUrl: string) => (baseUrl && /^\/[A-Za-z0-9/_.~%-]*$/.test(baseUrl) ? baseUrl : '/');

/** Login, logout and the calling principal. */
export function authHandlers(): Record<string, OperationHandler> {
  return typedHandlers({
    login: {
      access: 'public',
      audit: { action: 'auth.login', entity: 'user' },
      async handle(ctx, deps) {
        const result = await passwordLogin(ctx, deps, ctx.body);
        return { status: 200, body: { token: result.token, expiresAt: result.expiresAt }, headers: { 'Cache-Control': 'no-store' } };
      },
    },
    createSession: {
      access: 'public',
      audit: { action: 'auth.login', entity: 'user' },
      async handle(ctx, deps) {
        const result = await passwordLogin(ctx, deps, ctx.body);
        const principal = await deps.auth.authenticate(result.token);
        return {
          status: 200,
          body: { expiresAt: result.expiresAt, user: await me(deps, principal) },
          headers: { 'Cache-Control': 'no-store', 'Set-Cookie': sessionSetCookie(result.token, result.expiresAt, cookiePath(ctx.req.baseUrl), ctx.req.hubSecure ?? ctx.req.secure) },
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
        return { status: 204, headers: { 'Set-Cookie': sessionClearCookie(cookiePath(ctx.req.baseUrl), ctx.req.hubSecure ?? ctx.req.secure) } };
      },
    },
    logout: {
      access: 'authenticated',
      audit: { action: 'auth.logout', entity: 'user' },
      async handle(ctx, deps) {
        // The credential the call was made with: the bearer token, or the web UI's session cookie.
        const token = bearer(ctx.req) ?? sessionCookie(ctx.req);
        if (token) await deps.auth.logout(token);
        if (ctx.audit && ctx.principal) ctx.audit.recordIds = [ctx.principal.id];
        return { status: 204 };
      },
    },
    getMyPermissions: {
      access: 'authenticated',
      async handle(ctx, deps) {
        const p = ctx.principal;
        if (!p) throw new Error('unreachable: authenticated operation without principal');
        const receiver = { kind: 'principal' as const, roles: p.roles, userId: null, teamId: null, subtree: new Set<string>() };
        const entities = ENTITY_NAMES.map((entity) => {
          const rules = deps.policy.rulesFor(receiver, entity);
          const fields: Record<string, 'allow' | 'mask' | 'hash' | 'encrypt'> = {};
          const rank = { allow: 4, mask: 3, hash: 2, encrypt: 1 } as const;
          for (const r of rules) {
            for (const [field, d] of r.fields) {
              const seen = fields[field];
              if (!seen || rank[d.action] > rank[seen]) fields[field] = d.action;
            }
          }
          const rows = [...new Set(rules.map((r) => (typeof r.rows === 'string' ? r.rows : `${r.rows.where.field} in [${r.rows.where.in.join(', ')}]`)))];
          const write = [...new Set(rules.flatMap((r) => [...r.write]))].sort();
          // A create must name the required fields; a role may create when one of its rules writes them all.
          const required = requiredOnCreate(entity);
          const create = rules.some((r) => r.write.size > 0 && required.every((f) => r.write.has(f)));
          return { entity, read: rules.length > 0, rows, fields, write, create, delete: rules.some((r) => r.delete) };
        });
        return { status: 200, body: { entities } };
      },
    },
    getMe: {
      access: 'authenticated',
      async handle(ctx, deps) {
        const p = ctx.principal;
        if (!p) throw new Error('unreachable: authenticated operation without principal');
        return { status: 200, body: await me(deps, p) };
      },
    },
  });
}
