import { BadRequestError } from '../../../core/errors.js';
import { ENTITIES, type EntityName, type JsonObject, type StoredRecord } from '../../../core/model/entities.js';
import type { Receiver } from '../../../core/policy/engine.js';
import type { Store } from '../../../core/store/store.js';
import type { AppDeps } from '../context.js';
import { businessToday, withReadView } from './views.js';

/** Relations that `expand` may follow: entity → relation name → (foreign key, related entity). */
const RELATIONS: Readonly<Partial<Record<EntityName, Readonly<Record<string, readonly [string, EntityName]>>>>> = {
  contact: { customer: ['customerId', 'customer'] },
  order: { customer: ['customerId', 'customer'] },
  receivable: { customer: ['customerId', 'customer'], order: ['orderId', 'order'] },
  payment: { customer: ['customerId', 'customer'], receivable: ['receivableId', 'receivable'] },
};

/**
 * The relation `name` of `entity`, looked up among the table's own keys only: a name from the
 * query such as `constructor` must not find a property of Object.prototype.
 */
function relation(entity: EntityName, name: string): readonly [string, EntityName] | undefined {
  const rels = RELATIONS[entity];
  return rels && Object.hasOwn(rels, name) ? rels[name] : undefined;
}

/** What `expand` may name on a list or read of `entity` (`customer`, `order.customer`): the spec lists exactly these. */
export function expandable(entity: EntityName): string[] {
  const out: string[] = [];
  for (const [name, [, related]] of Object.entries(RELATIONS[entity] ?? {})) {
    out.push(name);
    for (const nested of Object.keys(RELATIONS[related] ?? {})) out.push(`${name}.${nested}`);
  }
  return out;
}

function parseExpand(entity: EntityName, param: unknown): Map<string, string[]> {
  const wanted = new Map<string, string[]>();
  // The router hands over the comma-separated list split (`expand=customer,order`); nested levels join it again.
  const text = Array.isArray(param) ? param.join(',') : param;
  if (typeof text !== 'string' || text === '') return wanted;
  for (const path of text.split(',')) {
    const [head, tail] = path.split('.') as [string, string | undefined];
    const rel = relation(entity, head);
    if (!rel || (tail !== undefined && !relation(rel[1], tail))) {
      throw new BadRequestError('Unknown relation to expand', [{ pointer: '/query/expand', detail: `${path} is not a relation of ${entity}` }]);
    }
    wanted.set(head, [...(wanted.get(head) ?? []), ...(tail ? [tail] : [])]);
  }
  return wanted;
}

/** Refuses an `expand` naming no relation of `entity` (400), also when there is nothing to expand. */
export function checkExpand(entity: EntityName, param: unknown): void {
  parseExpand(entity, param);
}

/**
 * Brings related records along, each projected for the same receiver, at every depth. A relation
 * whose key the caller cannot see, or whose record the caller may not see, comes back as null —
 * the same as a dangling reference, so it reveals nothing.
 */
export async function expandRelated(deps: AppDeps, store: Store, receiver: Receiver, entity: EntityName, projected: JsonObject, record: StoredRecord, param: unknown): Promise<JsonObject> {
  const wanted = parseExpand(entity, param);
  if (wanted.size === 0) return projected;
  const out: JsonObject = { ...projected };
  for (const [name, nested] of wanted) {
    const [key, relEntity] = relation(entity, name) as readonly [string, EntityName];
    const id = projected[key];
    let value: JsonObject | null = null;
    if (typeof id === 'string' && id === record[key]) {
      const related = await store.records.get(ENTITIES[relEntity], id);
      const shown = related ? deps.policy.project(receiver, relEntity, related) : undefined;
      if (related && shown) value = await expandRelated(deps, store, receiver, relEntity, withReadView(relEntity, shown, related, businessToday(deps)), related, nested.join(','));
    }
    out[name] = value;
  }
  return out;
}
