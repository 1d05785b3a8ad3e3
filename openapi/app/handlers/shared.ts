import { actorName } from '../../../core/auth/principal.js';
import type { Store } from '../../../core/store/store.js';
import type { AppDeps, HandlerResult, RequestContext } from '../context.js';
import { bodyHash, idempotencyMismatch } from '../http-utils.js';

/** Writes the request's audit record inside the write's transaction, so both commit together. */
export async function auditInTx(tx: Store, ctx: RequestContext, status: number): Promise<void> {
  if (!ctx.audit) return;
  await tx.audit.append({
    time: new Date().toISOString(),
    actor: actorName(ctx.principal),
    actorType: ctx.principal?.type === 'apikey' ? 'apikey' : ctx.principal ? 'user' : 'anonymous',
    sourceIp: ctx.ip,
    action: ctx.audit.action,
    entity: ctx.audit.entity,
    recordIds: ctx.audit.recordIds,
    fields: ctx.audit.fields,
    outcome: 'success',
    status,
  });
  ctx.audited = true;
}

/**
 * Runs a create in a transaction; with an `Idempotency-Key`, the same key and body give the first
 * result again (without a second write), and the same key with another body is refused (422).
 */
export async function idempotentCreate<R extends HandlerResult>(ctx: Pick<RequestContext, 'headers' | 'principal' | 'body' | 'op' | 'audited'>, deps: AppDeps, run: (tx: Store) => Promise<R>): Promise<R> {
  const key = ctx.headers['idempotency-key'];
  if (typeof key !== 'string') return deps.store.transaction(run);
  const actor = actorName(ctx.principal);
  const hash = bodyHash(ctx.body);
  const replay = (stored: { operation: string; requestHash: string; status: number; response: string }): R => {
    if (stored.operation !== ctx.op.operationId || stored.requestHash !== hash) throw idempotencyMismatch();
    const saved = JSON.parse(stored.response) as { body: unknown; headers: Record<string, string> };
    ctx.audited = true; // the original request was audited; a replay changes nothing
    // The stored answer is the one `run` gave for this operation the first time.
    return { status: stored.status, body: saved.body, headers: { ...saved.headers, 'Idempotent-Replayed': 'true' } } as unknown as R;
  };
  const existing = await deps.store.idempotency.get(actor, key);
  if (existing) return replay(existing);
  try {
    return await deps.store.transaction(async (tx) => {
      const result = await run(tx);
      await tx.idempotency.put(actor, key, { operation: ctx.op.operationId, requestHash: hash, status: result.status, response: JSON.stringify({ body: result.body, headers: result.headers ?? {} }) }, new Date().toISOString());
      return result;
    });
  } catch (error) {
    // Two requests with one key at once: the loser of the insert race replays the winner.
    if (deps.store.isUniqueViolation(error)) {
      const again = await deps.store.idempotency.get(actor, key);
      if (again) return replay(again);
    }
    throw error;
  }
}
