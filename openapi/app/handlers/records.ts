import type { Principal } from '../../../core/auth/principal.js';
import { ENTITIES, type EntityDef, type JsonObject, type RecordKind, type StoredRecord } from '../../../core/model/entities.js';
import type { WriteResult } from '../../../core/records/service.js';
import type { Store } from '../../../core/store/store.js';
import type { Access, AppDeps, OperationHandler, RequestContext } from '../context.js';
import { decodeCursor, encodeCursor, etagOf, ifMatchVersion, parseSort, utcInstant } from '../http-utils.js';
import { auditInTx, idempotentCreate } from './shared.js';

/** How a record leaves the hub over the API (the policy engine will narrow this per caller). */
export type Present = (record: StoredRecord, principal: Principal | undefined) => JsonObject;

export interface WriteHooks {
  create(deps: AppDeps, input: JsonObject, tx: Store): Promise<WriteResult>;
  update(deps: AppDeps, id: string, patch: JsonObject, ifMatch: number | undefined, tx: Store): Promise<WriteResult>;
  remove(deps: AppDeps, id: string, ifMatch: number | undefined, principal: Principal | undefined, tx: Store): Promise<WriteResult>;
}

const defaultHooks = (kind: RecordKind): WriteHooks => ({
  create: (deps, input, tx) => deps.records.create(kind, input, tx),
  update: (deps, id, patch, ifMatch, tx) => deps.records.update(kind, id, patch, ifMatch, tx),
  remove: (deps, id, ifMatch, _p, tx) => deps.records.remove(kind, id, ifMatch, tx),
});

function location(ctx: RequestContext, def: EntityDef, id: string): string {
  return `${ctx.baseUrl}/api/v1/${def.plural}/${encodeURIComponent(id)}`;
}

/** The five operations of one resource (list, get, create, update, delete), from its definition. */
export function resourceHandlers(kind: RecordKind, access: Access, present: Present, hooks: WriteHooks = defaultHooks(kind)): Record<string, OperationHandler> {
  const def = ENTITIES[kind];
  const T = def.typeName;
  const plural = T === 'InventoryLevel' ? 'InventoryLevels' : `${T}s`;
  const sortable = [...def.sortable, 'createdAt', 'updatedAt'];
  const audit = (verb: string) => ({ action: `${kind}.${verb}`, entity: kind });

  return {
    [`list${plural}`]: {
      access,
      audit: audit('list'),
      async handle(ctx, deps) {
        const sort = parseSort(ctx.query['sort'], sortable);
        const filters: Record<string, string | boolean> = {};
        for (const f of def.filters) {
          const v = ctx.query[f];
          if (typeof v === 'string' || typeof v === 'boolean') filters[f] = v;
        }
        const page = await deps.store.records.list(def, {
          filters,
          ...(typeof ctx.query['updatedSince'] === 'string' ? { updatedSince: utcInstant(ctx.query['updatedSince'], '/query/updatedSince') } : {}),
          ...(typeof ctx.query['q'] === 'string' ? { q: ctx.query['q'] } : {}),
          sort,
          limit: Number(ctx.query['limit'] ?? 50),
          ...(typeof ctx.query['cursor'] === 'string' ? { after: decodeCursor(ctx.query['cursor'], sort.key) } : {}),
        });
        if (ctx.audit) ctx.audit.recordIds = page.items.map((r) => r.id);
        return { status: 200, body: { items: page.items.map((r) => present(r, ctx.principal)), nextCursor: page.next ? encodeCursor(sort.key, page.next) : null } };
      },
    },
    [`get${T}`]: {
      access,
      audit: audit('read'),
      async handle(ctx, deps) {
        const record = await deps.records.get(kind, String(ctx.params['id']));
        return { status: 200, body: present(record, ctx.principal), headers: { ETag: etagOf(record.version) } };
      },
    },
    [`create${T}`]: {
      access,
      audit: audit('create'),
      handle: (ctx, deps) =>
        idempotentCreate(ctx, deps, async (tx) => {
          const { record, fields } = await hooks.create(deps, ctx.body as JsonObject, tx);
          if (ctx.audit) Object.assign(ctx.audit, { recordIds: [record.id], fields: [...fields] });
          await auditInTx(tx, ctx, 201);
          return { status: 201, body: present(record, ctx.principal), headers: { ETag: etagOf(record.version), Location: location(ctx, def, record.id) } };
        }),
    },
    [`update${T}`]: {
      access,
      audit: audit('update'),
      async handle(ctx, deps) {
        const ifMatch = ifMatchVersion(ctx.headers['if-match']);
        const patch = ctx.body as JsonObject;
        if (ctx.audit) ctx.audit.fields = Object.keys(patch).sort();
        return deps.store.transaction(async (tx) => {
          const { record, fields } = await hooks.update(deps, String(ctx.params['id']), patch, ifMatch, tx);
          if (ctx.audit) ctx.audit.fields = [...fields];
          await auditInTx(tx, ctx, 200);
          return { status: 200, body: present(record, ctx.principal), headers: { ETag: etagOf(record.version) } };
        });
      },
    },
    [`delete${T}`]: {
      access,
      audit: audit('delete'),
      async handle(ctx, deps) {
        const ifMatch = ifMatchVersion(ctx.headers['if-match']);
        return deps.store.transaction(async (tx) => {
          await hooks.remove(deps, String(ctx.params['id']), ifMatch, ctx.principal, tx);
          await auditInTx(tx, ctx, 204);
          return { status: 204 };
        });
      },
    },
  };
}
