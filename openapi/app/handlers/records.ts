import type { Principal } from '../../../core/auth/principal.js';
import { ForbiddenError, NotFoundError } from '../../../core/errors.js';
import { ENTITIES, type EntityDef, type EntityName, type JsonObject, type RecordKind, type StoredRecord } from '../../../core/model/entities.js';
import { checkDelete, checkQueryFields, checkWrite, readableRules, rowScope } from '../../../core/policy/access.js';
import type { Receiver } from '../../../core/policy/engine.js';
import { retryLostRaces } from '../../../core/records/retry.js';
import { mergePatch, type ReferenceScope, type VersionCondition, type WriteResult } from '../../../core/records/service.js';
import type { Store } from '../../../core/store/store.js';
import type { Access, AppDeps, OperationHandler, RequestContext } from '../context.js';
import { decodeCursor, encodeCursor, etagOf, ifMatchVersion, parseSort, utcInstant } from '../http-utils.js';
import { receiverFor } from '../receiver.js';
import { checkExpand, expandRelated } from './expand.js';
import { listConditions } from './list-conditions.js';
import { auditInTx, idempotentCreate } from './shared.js';
import { businessToday, withReadView } from './views.js';

export interface WriteHooks {
  create(deps: AppDeps, input: JsonObject, tx: Store, scope: ReferenceScope | undefined): Promise<WriteResult>;
  update(deps: AppDeps, id: string, patch: JsonObject, ifMatch: VersionCondition, tx: Store, scope: ReferenceScope | undefined): Promise<WriteResult>;
  remove(deps: AppDeps, id: string, ifMatch: VersionCondition, principal: Principal | undefined, tx: Store): Promise<WriteResult>;
}

const defaultHooks = (kind: RecordKind): WriteHooks => ({
  create: (deps, input, tx, scope) => deps.records.create(kind, input, tx, undefined, scope),
  update: (deps, id, patch, ifMatch, tx, scope) => deps.records.update(kind, id, patch, ifMatch, tx, scope),
  remove: (deps, id, ifMatch, _p, tx) => deps.records.remove(kind, id, ifMatch, tx),
});

function location(ctx: RequestContext, def: EntityDef, id: string): string {
  return `${ctx.baseUrl}/api/v1/${def.plural}/${encodeURIComponent(id)}`;
}

/**
 * How records of a kind are guarded: canonical entities go through the policy engine (row scope in
 * the query, field projection on the way out, write rules on the way in); users and teams are
 * admin-only and returned as stored (they hold no secrets: passwords live elsewhere).
 */
interface Guard {
  receiver(ctx: RequestContext, deps: AppDeps): Promise<Receiver | undefined>;
}

export type EntityUse = 'read' | 'create' | 'change' | 'delete';

/**
 * Refuses a caller none of whose roles grants `use` on any record of `entity` (no rule reads it,
 * writes a field of it, or deletes), before the request is validated. A change or delete of a
 * record the caller can read but not change answers 403, and of one the caller cannot see (or that
 * does not exist) 404, as it does for a caller who may change some records. Which records and fields
 * a permitted caller may use is checked later, against the record.
 */
export function authorizeUse(entity: EntityName, plural: string, use: EntityUse): NonNullable<OperationHandler['authorize']> {
  return async (principal, deps, params) => {
    const rules = deps.policy.rulesFor({ kind: 'principal', roles: principal.roles, userId: null, teamId: null, subtree: new Set() }, entity);
    const allowed = use === 'read' ? rules.length > 0 : use === 'delete' ? rules.some((r) => r.delete) : rules.some((r) => r.write.size > 0);
    if (allowed) return;
    if ((use === 'change' || use === 'delete') && rules.length > 0 && params['id'] !== undefined) {
      const record = await deps.store.records.get(ENTITIES[entity], params['id']);
      if (!record || !deps.policy.project(await receiverFor(principal, deps.store), entity, record)) throw new NotFoundError();
    }
    throw new ForbiddenError(`You may not ${use} ${plural}`);
  };
}

/** The fields a list of `kind` sorts by (`sort=<field>` or `-<field>`): the spec lists exactly these. */
export function sortableFields(kind: RecordKind): string[] {
  return [...ENTITIES[kind].sortable, 'createdAt', 'updatedAt'];
}

export function resourceHandlers(kind: RecordKind, access: Access, hooks: WriteHooks = defaultHooks(kind)): Record<string, OperationHandler> {
  const def = ENTITIES[kind];
  const T = def.typeName;
  const plural = T === 'InventoryLevel' ? 'InventoryLevels' : `${T}s`;
  const sortable = sortableFields(kind);
  const audit = (verb: string) => ({ action: `${kind}.${verb}`, entity: kind });
  const policed = kind !== 'user' && kind !== 'team';
  const entity = kind as EntityName;
  const guard: Guard = { receiver: async (ctx, deps) => (policed && ctx.principal ? receiverFor(ctx.principal, deps.store) : undefined) };
  /** A caller may only point a record at records it may see; any other reference reads as missing. */
  /** The 403 for a caller who may not `use` this kind at all (canonical entities; users and teams are for admins, which `access` checks). */
  const authorize = (use: EntityUse) => (policed ? { authorize: authorizeUse(entity, def.plural, use) } : {});
  const referenceScope = (deps: AppDeps, receiver: Receiver | undefined): ReferenceScope | undefined =>
    receiver ? (kind, record) => deps.policy.applicable(receiver, kind, record).length > 0 : undefined;

  /** The record as the caller may see it (projected once, related records expanded), or undefined. */
  const shown = async (ctx: RequestContext, deps: AppDeps, store: Store, receiver: Receiver | undefined, record: StoredRecord): Promise<JsonObject | undefined> => {
    if (!receiver) return { ...record };
    const projected = deps.policy.project(receiver, entity, record);
    return projected ? expandRelated(deps, store, receiver, entity, withReadView(entity, projected, record, businessToday(deps)), record, ctx.query['expand']) : undefined;
  };

  /** As `shown`, but a record the caller may not see answers exactly like a missing one (404). */
  const visible = async (ctx: RequestContext, deps: AppDeps, store: Store, receiver: Receiver | undefined, record: StoredRecord | undefined): Promise<JsonObject> => {
    const body = record ? await shown(ctx, deps, store, receiver, record) : undefined;
    if (!body) throw new NotFoundError();
    return body;
  };

  return {
    [`list${plural}`]: {
      access,
      ...authorize('read'),
      audit: audit('list'),
      async handle(ctx, deps) {
        const receiver = await guard.receiver(ctx, deps);
        if (policed) checkExpand(entity, ctx.query['expand']);
        const rules = receiver ? readableRules(deps.policy, receiver, entity, def.plural) : [];
        // Without an explicit sort, order by updatedAt only when the caller sees it (the order and the
        // cursor would reveal it otherwise); else by id, which every visible record shows.
        const seesUpdatedAt = !receiver || rules.every((r) => r.fields.get('updatedAt')?.action === 'allow');
        const sort = parseSort(ctx.query['sort'], sortable, seesUpdatedAt ? 'updatedAt' : 'id');
        const conditions = listConditions(def, ctx.query, businessToday(deps));
        const { filters, ranges } = conditions;
        let anyOf: { field: string; values: string[] }[] | undefined;
        if (receiver) {
          checkQueryFields(rules, [
            ...conditions.uses,
            ...(ctx.query['sort'] !== undefined ? [{ param: 'sort', fields: [sort.field] }] : []),
            ...(ctx.query['q'] !== undefined ? [{ param: 'q', fields: def.search }] : []),
            ...(ctx.query['updatedSince'] !== undefined ? [{ param: 'updatedSince', fields: ['updatedAt'] }] : []),
          ]);
          const scope = rowScope(rules, receiver);
          if (scope.kind === 'nothing') return { status: 200, body: { items: [], nextCursor: null } };
          if (scope.kind === 'some') anyOf = scope.anyOf;
        }
        const page = await deps.store.records.list(def, {
          filters,
          ranges,
          ...(anyOf ? { anyOf } : {}),
          ...(typeof ctx.query['updatedSince'] === 'string' ? { updatedSince: utcInstant(ctx.query['updatedSince'], '/query/updatedSince') } : {}),
          ...(typeof ctx.query['q'] === 'string' ? { q: ctx.query['q'] } : {}),
          sort,
          limit: Number(ctx.query['limit'] ?? 50),
          ...(typeof ctx.query['cursor'] === 'string' ? { after: decodeCursor(ctx.query['cursor'], sort.key) } : {}),
        });
        const items: JsonObject[] = [];
        for (const r of page.items) {
          // The query already applied the row scope; a record the projection still refuses is skipped.
          const body = await shown(ctx, deps, deps.store, receiver, r);
          if (body && conditions.keep(body)) items.push(body);
        }
        if (ctx.audit) ctx.audit.recordIds = items.map((r) => String(r['id']));
        return { status: 200, body: { items, nextCursor: page.next ? encodeCursor(sort.key, page.next) : null } };
      },
    },
    [`get${T}`]: {
      access,
      ...authorize('read'),
      audit: audit('read'),
      async handle(ctx, deps) {
        const receiver = await guard.receiver(ctx, deps);
        if (policed) checkExpand(entity, ctx.query['expand']);
        if (receiver) readableRules(deps.policy, receiver, entity, def.plural);
        const record = await deps.store.records.get(def, String(ctx.params['id']));
        const body = await visible(ctx, deps, deps.store, receiver, record);
        return { status: 200, body, headers: { ETag: etagOf((record as StoredRecord).version) } };
      },
    },
    [`create${T}`]: {
      access,
      ...authorize('create'),
      audit: audit('create'),
      async handle(ctx, deps) {
        const receiver = await guard.receiver(ctx, deps);
        let input = ctx.body as JsonObject;
        if (receiver) {
          // A user who may only write their own (or their team's) records owns what they create.
          const fields = deps.catalog.get(entity);
          const unrestricted = deps.policy.rulesFor(receiver, entity).some((r) => r.rows === 'all' && Object.keys(input).every((k) => r.write.has(k)));
          if (!unrestricted && fields?.has('ownerId') && input['ownerId'] === undefined && receiver.userId) input = { ...input, ownerId: receiver.userId };
          if (!unrestricted && fields?.has('teamId') && input['teamId'] === undefined && receiver.teamId) input = { ...input, teamId: receiver.teamId };
          checkWrite(deps.policy, receiver, entity, undefined, ctx.body as JsonObject, input);
        }
        return idempotentCreate(ctx, deps, async (tx) => {
          const { record, fields } = await hooks.create(deps, input, tx, referenceScope(deps, receiver));
          if (ctx.audit) Object.assign(ctx.audit, { recordIds: [record.id], fields: [...fields] });
          await auditInTx(tx, ctx, 201);
          return { status: 201, body: await visible(ctx, deps, tx, receiver, record), headers: { ETag: etagOf(record.version), Location: location(ctx, def, record.id) } };
        });
      },
    },
    [`update${T}`]: {
      access,
      ...authorize('change'),
      audit: audit('update'),
      async handle(ctx, deps) {
        const receiver = await guard.receiver(ctx, deps);
        const ifMatch = ifMatchVersion(ctx.headers['if-match']);
        const patch = ctx.body as JsonObject;
        const id = String(ctx.params['id']);
        if (ctx.audit) ctx.audit.fields = Object.keys(patch).sort();
        // Each attempt reads the record afresh and checks the write rules against that state.
        return retryLostRaces(ifMatch !== undefined, () => deps.store.transaction(async (tx) => {
          if (receiver) {
            readableRules(deps.policy, receiver, entity, def.plural);
            const current = await tx.records.get(def, id);
            if (!current || !deps.policy.project(receiver, entity, current)) throw new NotFoundError();
            checkWrite(deps.policy, receiver, entity, current, patch, mergePatch(current, patch));
          }
          const { record, fields } = await hooks.update(deps, id, patch, ifMatch, tx, referenceScope(deps, receiver));
          if (ctx.audit) ctx.audit.fields = [...fields];
          await auditInTx(tx, ctx, 200);
          return { status: 200, body: await visible(ctx, deps, tx, receiver, record), headers: { ETag: etagOf(record.version) } };
        }));
      },
    },
    [`delete${T}`]: {
      access,
      ...authorize('delete'),
      audit: audit('delete'),
      async handle(ctx, deps) {
        const receiver = await guard.receiver(ctx, deps);
        const ifMatch = ifMatchVersion(ctx.headers['if-match']);
        const id = String(ctx.params['id']);
        return retryLostRaces(ifMatch !== undefined, () => deps.store.transaction(async (tx) => {
          if (receiver) {
            readableRules(deps.policy, receiver, entity, def.plural);
            const current = await tx.records.get(def, id);
            if (!current || !deps.policy.project(receiver, entity, current)) throw new NotFoundError();
            checkDelete(deps.policy, receiver, entity, current);
          }
          await hooks.remove(deps, id, ifMatch, ctx.principal, tx);
          await auditInTx(tx, ctx, 204);
          return { status: 204 };
        }));
      },
    },
  };
}
