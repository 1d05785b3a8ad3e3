import { actorName } from '../../../core/auth/principal.js';
import { ConflictError, NotFoundError, UnprocessableError } from '../../../core/errors.js';
import { ENTITIES, ENTITY_NAMES, type EntityName, type JsonObject, type JsonValue } from '../../../core/model/entities.js';
import { checkWrite, readableRules } from '../../../core/policy/access.js';
import { STRUCTURAL_FIELDS } from '../../../core/policy/catalog.js';
import type { CompiledRule, Receiver } from '../../../core/policy/engine.js';
import { mergePatch } from '../../../core/records/service.js';
import type { DeadLetter, DeadLetterFilter, DeadLetterState } from '../../../core/store/dead-letters-repository.js';
import type { Conflict } from '../../../core/store/conflicts-repository.js';
import type { LineageEntry } from '../../../core/store/lineage-repository.js';
import type { AppDeps, OperationHandler, RequestContext } from '../context.js';
import { utcInstant } from '../http-utils.js';
import { receiverFor } from '../receiver.js';
import { authorizeUse } from './records.js';

const str = (ctx: RequestContext, key: string): string | undefined => (typeof ctx.query[key] === 'string' ? (ctx.query[key] as string) : undefined);
const isEntity = (e: string): e is EntityName => (ENTITY_NAMES as readonly string[]).includes(e);

function letterBody(l: DeadLetter): JsonObject {
  return { ...l, payload: l.payload as JsonObject };
}

async function letterOr404(deps: AppDeps, id: string): Promise<DeadLetter> {
  const letter = await deps.store.deadLetters.get(id);
  if (!letter) throw new NotFoundError('No dead letter with that id');
  return letter;
}

function mustBeOpen(letter: DeadLetter): void {
  if (letter.state !== 'open') throw new ConflictError(`The dead letter is already ${letter.state}`, [{ pointer: '/state', detail: `is ${letter.state} (by ${letter.resolvedBy ?? '?'} at ${letter.resolvedAt ?? '?'})` }]);
}

/** Sets `path` (`a` or `a.b`) in a copy of `record`. */
function withValue(record: JsonObject, path: string, value: JsonValue): JsonObject {
  const [top, sub] = path.split('.', 2) as [string, string | undefined];
  if (sub === undefined) return { ...record, [top]: value };
  const inner = record[top];
  return { ...record, [top]: { ...(inner && typeof inner === 'object' && !Array.isArray(inner) ? inner : {}), [sub]: value } };
}

function valueAt(record: JsonObject, path: string): JsonValue | undefined {
  let v: JsonValue | undefined = record;
  for (const part of path.split('.')) v = v && typeof v === 'object' && !Array.isArray(v) ? v[part] : undefined;
  return v;
}

/**
 * A conflict as the caller may see it: both values go through the caller's projection of the
 * record (masked, hashed, or left out when the caller may not see the field).
 */
async function conflictBody(c: Conflict, receiver: Receiver | undefined, deps: AppDeps): Promise<JsonObject> {
  const { theirValue, hubValue, ...rest } = c;
  const out: JsonObject = { ...rest };
  if (!receiver || !isEntity(c.entity)) return out;
  const entity = c.entity;
  const record = (await deps.store.records.get(ENTITIES[entity], c.recordId)) ?? { id: c.recordId };
  for (const [key, value] of [['theirValue', theirValue], ['hubValue', hubValue]] as const) {
    const projected = deps.policy.project(receiver, entity, withValue(record, c.field, (value ?? null) as JsonValue));
    const shown = projected ? valueAt(projected, c.field) : undefined;
    if (shown !== undefined) out[key] = shown;
  }
  return out;
}

/**
 * Lineage as the caller may see it, like the record's projection. A plain field is listed when a
 * rule shows it (in plain form or transformed). A structured field (`lines`, `billingAddress`) is
 * listed with the sub-field rows the caller may see (`lines.quantity`); its own row is listed as
 * stored only when the caller sees every sub-field, else it takes the latest visible sub-field row
 * (so a change of `lines.unitPrice` alone does not show a quality inspector that `lines` changed),
 * and it is left out when no visible sub-field has a row (lineage written before sub-field rows).
 */
export function projectLineage(entries: readonly LineageEntry[], rules: readonly CompiledRule[], catalog: ReadonlyMap<string, ReadonlySet<string> | null> | undefined): LineageEntry[] {
  const shows = (path: string): boolean => rules.some((r) => r.fields.has(path));
  const subsOf = (field: string): ReadonlySet<string> | null | undefined => catalog?.get(field);
  const byField = new Map(entries.map((e) => [e.field, e]));
  const out: LineageEntry[] = [];
  for (const e of entries) {
    const [top, sub] = e.field.split('.', 2) as [string, string | undefined];
    if (STRUCTURAL_FIELDS.has(top)) {
      out.push(e);
      continue;
    }
    const subs = subsOf(top);
    if (sub !== undefined) {
      if (shows(top) || shows(e.field)) out.push(e);
      continue;
    }
    if (!subs) {
      if (shows(top)) out.push(e);
      continue;
    }
    const visible = shows(top) ? [...subs] : [...subs].filter((s) => shows(`${top}.${s}`));
    if (visible.length === subs.size) {
      out.push(e);
      continue;
    }
    const latest = visible
      .map((s) => byField.get(`${top}.${s}`))
      .filter((x): x is LineageEntry => x !== undefined)
      .sort((a, b) => b.version - a.version)[0];
    if (latest) out.push({ ...latest, field: top });
  }
  return out;
}

/** Sync engine administration (status, runs, dead letters, conflicts), lineage and webhooks. */
export function syncHandlers(): Record<string, OperationHandler> {
  const handlers: Record<string, OperationHandler> = {
    listSyncConnectors: {
      access: 'admin',
      async handle(_ctx, deps) {
        return { status: 200, body: { items: await deps.sync.status() } };
      },
    },

    checkSyncConnector: {
      access: 'admin',
      async handle(ctx, deps) {
        const name = String(ctx.params['id']);
        if (!deps.sync.checks.has(name)) throw new NotFoundError(`No connector named ${name}`);
        return { status: 200, body: await deps.sync.checks.run(name) };
      },
    },

    // ---- runs ------------------------------------------------------------------------------

    startBackfill: {
      access: 'admin',
      audit: { action: 'sync.backfill', entity: null },
      async handle(ctx, deps) {
        const body = ctx.body as { entity: EntityName; since?: string; direction?: 'in' | 'out' };
        if (ctx.audit) Object.assign(ctx.audit, { entity: body.entity, recordIds: [], fields: Object.keys(body).sort() });
        const run = await deps.sync.runs.backfill(String(ctx.params['id']), body.entity, {
          by: actorName(ctx.principal),
          ...(body.since !== undefined ? { since: utcInstant(body.since, '/since') } : {}),
          ...(body.direction ? { direction: body.direction } : {}),
        });
        if (ctx.audit) ctx.audit.recordIds = [run.id];
        return { status: 202, body: run, headers: { Location: `${ctx.baseUrl}/api/v1/sync/runs/${run.id}` } };
      },
    },
    listSyncRuns: {
      access: 'admin',
      async handle(ctx, deps) {
        const connector = str(ctx, 'connector');
        return { status: 200, body: { items: await deps.sync.runs.list({ limit: Number(ctx.query['limit'] ?? 50), ...(connector ? { connector } : {}) }) } };
      },
    },
    getSyncRun: {
      access: 'admin',
      async handle(ctx, deps) {
        const run = await deps.sync.runs.get(String(ctx.params['id']));
        if (!run) throw new NotFoundError('No run with that id');
        return { status: 200, body: run };
      },
    },
    cancelSyncRun: {
      access: 'admin',
      audit: { action: 'sync.cancel', entity: null },
      async handle(ctx, deps) {
        const run = await deps.sync.runs.cancel(String(ctx.params['id']));
        if (ctx.audit) ctx.audit.entity = run.entity;
        return { status: 200, body: run };
      },
    },

    // ---- dead letters ----------------------------------------------------------------------

    listDeadLetters: {
      access: 'admin',
      audit: { action: 'sync.deadletter.list', entity: null },
      async handle(ctx, deps) {
        const limit = Number(ctx.query['limit'] ?? 50);
        const cursor = str(ctx, 'cursor');
        const filter: DeadLetterFilter = {
          state: (str(ctx, 'state') ?? 'open') as DeadLetterState,
          ...(str(ctx, 'target') ? { target: str(ctx, 'target') as string } : {}),
          ...(str(ctx, 'entity') ? { entity: str(ctx, 'entity') as string } : {}),
          ...(str(ctx, 'errorCode') ? { errorCode: str(ctx, 'errorCode') as string } : {}),
          ...(str(ctx, 'direction') ? { direction: str(ctx, 'direction') as 'in' | 'out' } : {}),
        };
        const rows = await deps.sync.deadLetters.list(filter, limit + 1, cursor ? Number(cursor) : undefined);
        const page = rows.slice(0, limit);
        if (ctx.audit) Object.assign(ctx.audit, { entity: filter.entity ?? null, recordIds: page.map((l) => l.id) });
        return { status: 200, body: { items: page.map(letterBody), nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null } };
      },
    },
    getDeadLetter: {
      access: 'admin',
      audit: { action: 'sync.deadletter.read', entity: null },
      async handle(ctx, deps) {
        const letter = await letterOr404(deps, String(ctx.params['id']));
        if (ctx.audit) ctx.audit.entity = letter.entity;
        return { status: 200, body: letterBody(letter) };
      },
    },
    replayDeadLetter: {
      access: 'admin',
      audit: { action: 'sync.deadletter.replay', entity: null },
      async handle(ctx, deps) {
        const letter = await letterOr404(deps, String(ctx.params['id']));
        if (ctx.audit) ctx.audit.entity = letter.entity;
        mustBeOpen(letter);
        const replayed = await deps.sync.deadLetters.replay([letter.id], actorName(ctx.principal));
        if (replayed.length === 0) {
          const again = await letterOr404(deps, letter.id);
          mustBeOpen(again);
          throw new UnprocessableError('The dead letter cannot be replayed', [
            { pointer: '/target', detail: letter.direction === 'out' ? `${letter.target} is no longer a sync target of ${letter.entity}` : `${letter.target} no longer reads ${letter.entity}, or the letter holds no change to ingest` },
          ]);
        }
        return { status: 200, body: letterBody(await letterOr404(deps, letter.id)) };
      },
    },
    discardDeadLetter: {
      access: 'admin',
      audit: { action: 'sync.deadletter.discard', entity: null },
      async handle(ctx, deps) {
        const letter = await letterOr404(deps, String(ctx.params['id']));
        if (ctx.audit) ctx.audit.entity = letter.entity;
        mustBeOpen(letter);
        if ((await deps.sync.deadLetters.discard([letter.id], actorName(ctx.principal))) === 0) mustBeOpen(await letterOr404(deps, letter.id));
        return { status: 200, body: letterBody(await letterOr404(deps, letter.id)) };
      },
    },
    replayDeadLetters: {
      access: 'admin',
      audit: { action: 'sync.deadletter.replay', entity: null },
      async handle(ctx, deps) {
        const { body, filter } = letterFilter(ctx.body);
        if (ctx.audit) Object.assign(ctx.audit, { entity: body.entity ?? null, fields: Object.keys(body).sort() });
        const ids = await deps.sync.deadLetters.replayWhere(filter, actorName(ctx.principal));
        if (ctx.audit) ctx.audit.recordIds = ids;
        return { status: 200, body: { replayed: ids.length, ids } };
      },
    },
    discardDeadLetters: {
      access: 'admin',
      audit: { action: 'sync.deadletter.discard', entity: null },
      async handle(ctx, deps) {
        const { body, filter } = letterFilter(ctx.body);
        if (ctx.audit) Object.assign(ctx.audit, { entity: body.entity ?? null, fields: Object.keys(body).sort() });
        const ids = await deps.sync.deadLetters.discardWhere(filter, actorName(ctx.principal));
        if (ctx.audit) ctx.audit.recordIds = ids;
        return { status: 200, body: { discarded: ids.length, ids } };
      },
    },

    // ---- conflicts -------------------------------------------------------------------------

    listConflicts: {
      access: 'admin',
      audit: { action: 'sync.conflict.list', entity: null },
      async handle(ctx, deps) {
        const limit = Number(ctx.query['limit'] ?? 50);
        const cursor = str(ctx, 'cursor');
        const entity = str(ctx, 'entity');
        const rows = await deps.sync.conflicts.list({ state: (str(ctx, 'state') ?? 'open') as Conflict['state'], limit: limit + 1, ...(entity ? { entity } : {}), ...(cursor ? { afterId: Number(cursor) } : {}) });
        const page = rows.slice(0, limit);
        const receiver = ctx.principal ? await receiverFor(ctx.principal, deps.store) : undefined;
        const items: JsonObject[] = [];
        for (const c of page) items.push(await conflictBody(c, receiver, deps));
        if (ctx.audit) Object.assign(ctx.audit, { entity: entity ?? null, recordIds: page.map((c) => c.recordId), fields: [...new Set(page.map((c) => c.field))].sort() });
        return { status: 200, body: { items, nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null } };
      },
    },
    resolveConflict: {
      access: 'admin',
      audit: { action: 'sync.conflict.resolve', entity: null },
      async handle(ctx, deps) {
        const body = ctx.body as { pick: 'hub' | 'system' | 'value'; value?: unknown };
        const c = await deps.store.conflicts.get(String(ctx.params['id']));
        if (!c) throw new NotFoundError('No conflict with that id');
        if (ctx.audit) Object.assign(ctx.audit, { entity: c.entity, recordIds: [c.recordId], fields: [c.field] });
        if (body.pick !== 'value' && body.value !== undefined) throw new UnprocessableError('A value is only taken with pick: value', [{ pointer: '/value', detail: `is not used when pick is ${body.pick}` }]);
        const receiver = ctx.principal ? await receiverFor(ctx.principal, deps.store) : undefined;
        if (body.pick === 'value' && c.state === 'open' && receiver && isEntity(c.entity)) {
          // Setting a value of one's own choosing is a write like any other: the resolver's policy applies.
          const current = await deps.store.records.get(ENTITIES[c.entity], c.recordId);
          if (!current) throw new NotFoundError('The record of this conflict no longer exists');
          const patch = withValue({}, c.field, body.value as JsonValue);
          checkWrite(deps.policy, receiver, c.entity, current, patch, mergePatch(current, patch));
        }
        const resolved = await deps.sync.conflicts.resolve(c.id, { pick: body.pick, ...(body.value !== undefined ? { value: body.value } : {}) }, actorName(ctx.principal));
        return { status: 200, body: await conflictBody(resolved, receiver, deps) };
      },
    },

    // ---- webhooks --------------------------------------------------------------------------

    receiveWebhook: {
      access: 'public',
      rawBody: true,
      audit: { action: 'sync.webhook', entity: null },
      async handle(ctx, deps) {
        // Every header: a connector reading its system's own webhooks checks the system's signature header.
        const headers: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(ctx.headers)) {
          if (typeof value === 'string') headers[name.toLowerCase()] = value;
          else if (Array.isArray(value)) headers[name.toLowerCase()] = value.map(String).join(', ');
        }
        const result = await deps.sync.webhooks.receive(String(ctx.params['connector']), { headers, body: ctx.rawBody ?? Buffer.alloc(0) });
        return { status: 202, body: result };
      },
    },
  };

  // ---- lineage, readable exactly like the record ---------------------------------------------
  for (const entity of ENTITY_NAMES) {
    const def = ENTITIES[entity];
    handlers[`get${def.typeName}Lineage`] = {
      access: 'authenticated',
      authorize: authorizeUse(entity, def.plural, 'read'),
      audit: { action: `${entity}.lineage`, entity },
      async handle(ctx, deps) {
        const id = String(ctx.params['id']);
        const receiver = await receiverFor(ctx.principal!, deps.store);
        readableRules(deps.policy, receiver, entity, def.plural);
        const record = await deps.store.records.get(def, id);
        const rules = record ? deps.policy.applicable(receiver, entity, record) : [];
        if (!record || rules.length === 0) throw new NotFoundError();
        const fields = projectLineage(await deps.store.lineage.forRecord(entity, id), rules, deps.catalog.get(entity));
        if (ctx.audit) ctx.audit.fields = fields.map((f) => f.field);
        return { status: 200, body: { recordId: id, fields } };
      },
    };
  }
  return handlers;
}

/** The dead-letter filter of a replay or discard body (`DeadLetterReplayFilter`). */
function letterFilter(raw: unknown): { body: { entity?: string }; filter: DeadLetterFilter } {
  const body = raw as { target?: string; entity?: string; errorCode?: string; direction?: 'in' | 'out'; createdBefore?: string; createdAfter?: string };
  const filter: DeadLetterFilter = {
    ...(body.target ? { target: body.target } : {}),
    ...(body.entity ? { entity: body.entity } : {}),
    ...(body.errorCode ? { errorCode: body.errorCode } : {}),
    ...(body.direction ? { direction: body.direction } : {}),
    ...(body.createdBefore ? { createdBefore: utcInstant(body.createdBefore, '/createdBefore') } : {}),
    ...(body.createdAfter ? { createdAfter: utcInstant(body.createdAfter, '/createdAfter') } : {}),
  };
  return { body, filter };
}
