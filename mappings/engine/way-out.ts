import { contentHash } from '../../core/hash.js';
import type { EntityName, JsonObject } from '../../core/model/entities.js';
import type { MappedPayload } from '../../core/model/mapped.js';
import type { PolicyEngine, Projected, Receiver } from '../../core/policy/engine.js';
import type { InboundMapping, MappingContext, OutboundMapping } from './compile.js';

/**
 * The policy receiver a target's outbound mapping is bound to (`target:<name>`), as the policy engine
 * takes it. Also the receiver of a feed (queues/feeds), the one way out without a mapping: its
 * columns are checked against the receiver's rules when the configuration loads, like a mapping's reads.
 */
export function targetReceiver(receiver: string): Receiver {
  return { kind: 'target', roles: [receiver.replace(/^target:/, '')], userId: null, teamId: null, subtree: new Set() };
}

/** What leaves the hub for one record: the payload a connector is handed, and its content hash. */
export interface Leaving {
  readonly payload: MappedPayload;
  /** SHA-256 of the payload's content: equal to the last write's hash means the target already has it. */
  readonly hash: string;
}

/**
 * The one way out of the hub: (receiver, entity, record) → what leaves — project for the receiver
 * bound to the target, map, hash. Delivery, ingest's echo check, reconciliation and the mapping
 * preview all go through it, and so must every future way out (feeds, exports): the types leave no
 * other path, since an outbound mapping takes only a `Projected` record (made only by the policy
 * engine) and a connector takes only a `MappedPayload` (made only by an outbound mapping).
 *
 * Projection and mapping are separate steps only so that a batch can fetch the id links its
 * lookups need between the two (`lookupLinks` reads the projected records); `leave` does both.
 */
export class WayOut {
  readonly receiver: Receiver;

  constructor(
    private readonly policy: PolicyEngine,
    readonly mapping: OutboundMapping,
    /** The same system's inbound mapping of the entity, if it has one: how its copy reads back in. */
    readonly back?: InboundMapping | undefined,
  ) {
    this.receiver = targetReceiver(mapping.target);
  }

  get entity(): EntityName {
    return this.mapping.entity;
  }

  /** The record as the target may see it; undefined when the target's row filter excludes it. */
  project(record: JsonObject): Projected | undefined {
    return this.policy.project(this.receiver, this.mapping.entity, record);
  }

  /** The payload for a projected record, and its hash; throws MappingError for a value the mapping refuses. */
  map(view: Projected, ctx: MappingContext): Leaving {
    const payload = this.mapping.map(view, ctx);
    return { payload, hash: contentHash(payload) };
  }

  /** Project, map, hash; undefined when the record is outside the target's rows. */
  leave(record: JsonObject, ctx: MappingContext): (Leaving & { readonly view: Projected }) | undefined {
    const view = this.project(record);
    return view ? { view, ...this.map(view, ctx) } : undefined;
  }

  /**
   * The canonical fields the target's copy of a payload maps back to through its inbound mapping:
   * what an echo of this write will look like when the hub reads it. Undefined without an inbound
   * mapping; throws MappingError when the payload does not map back.
   */
  readBack(payload: MappedPayload, ctx: MappingContext): Record<string, unknown> | undefined {
    return this.back?.map(payload, ctx);
  }
}
