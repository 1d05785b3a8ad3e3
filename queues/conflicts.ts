import { ConflictError, NotFoundError, UnprocessableError } from '../core/errors.js';
import type { EntityName, JsonObject } from '../core/model/entities.js';
import type { RecordService } from '../core/records/service.js';
import type { Conflict } from '../core/store/conflicts-repository.js';
import type { Store } from '../core/store/store.js';
import { withWriteOrigin } from '../core/store/write-origin.js';
import { resend, type TargetQueue } from './resend.js';

export interface ConflictDeps {
  readonly store: Pick<Store, 'conflicts' | 'links' | 'transaction'>;
  readonly records: Pick<RecordService, 'update'>;
  readonly targets: ReadonlyMap<string, TargetQueue>;
}

/** A conflict's resolution: the hub's value, the system's held value, or a given one. */
export interface ConflictChoice {
  readonly pick: 'hub' | 'system' | 'value';
  readonly value?: unknown;
}

/** The conflict inbox: changes a system made to a field the hub also changed, held for a person to decide. */
export class ConflictDesk {
  constructor(private readonly deps: ConflictDeps) {}

  async list(filter: { state?: Conflict['state']; entity?: string; afterId?: number; limit: number }): Promise<Conflict[]> {
    return this.deps.store.conflicts.list(filter);
  }

  /**
   * Resolves a conflict: `hub` keeps the hub's value (and sends it to the system again), `system`
   * takes the held value, `value` sets the given one. The record change is attributed to the
   * resolver and goes out to every target like any other change.
   */
  async resolve(id: string, choice: ConflictChoice, by: string): Promise<Conflict> {
    const { store, records, targets } = this.deps;
    const c = await store.conflicts.get(id);
    if (!c) throw new NotFoundError();
    if (c.state !== 'open') throw new ConflictError('The conflict is already resolved', [{ pointer: '/pick', detail: `resolved on ${c.resolvedAt ?? '?'} by ${c.resolvedBy ?? '?'}` }]);
    if (choice.pick === 'value' && choice.value === undefined) throw new UnprocessableError('A value is needed', [{ pointer: '/value', detail: 'is required when pick is value' }]);
    const entity = c.entity as EntityName;
    const at = new Date().toISOString();
    if (choice.pick !== 'hub') {
      const value = choice.pick === 'system' ? c.theirValue : choice.value;
      await withWriteOrigin({ system: choice.pick === 'system' ? c.system : 'hub', job: `conflict:${c.id}:${by}` }, () =>
        store.transaction(async (tx) => {
          await records.update(entity, c.recordId, { [c.field]: value as JsonObject[string] }, undefined, tx);
          await tx.conflicts.resolve(c.id, choice.pick, by, at);
        }),
      );
    } else {
      await store.conflicts.resolve(c.id, 'hub', by, at);
      // The system holds its own value: send it the hub's again (forget the last-write hash so it is not skipped).
      const t = targets.get(c.system);
      if (t?.wants(entity)) await resend(store.links, c.system, t, entity, [c.recordId]);
    }
    return (await store.conflicts.get(c.id))!;
  }
}
