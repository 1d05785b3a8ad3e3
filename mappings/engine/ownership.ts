import { ConfigError, type FieldProblem } from '../../core/errors.js';
import type { EntityName } from '../../core/model/entities.js';

/** The system name of the hub's own CRM (writes through the API and the web UI). */
export const HUB_SYSTEM = 'hub';

export interface OwnershipConfig {
  /** Two systems that may both write a field changing it within this many seconds is a conflict. */
  readonly conflictWindowSeconds: number;
  /** entity → field → the systems that may write it. A field not listed may be written by any system. */
  readonly fields: Readonly<Partial<Record<EntityName, Readonly<Record<string, readonly string[]>>>>>;
}

/** What the hub last knew of a field: which system set it, and when. */
export interface FieldLineage {
  readonly system: string;
  readonly at: string;
}

export interface InboundDecision {
  /** Fields the change may set. */
  readonly accepted: string[];
  /** Fields the system does not own: dropped and counted. */
  readonly ignored: string[];
  /** Fields another owner changed within the window: to the conflict inbox, not applied. */
  readonly conflicts: string[];
}

/**
 * Field ownership: which system is the source of truth for which fields. Checked when loaded
 * against the canonical fields and the known systems.
 */
export class Ownership {
  private constructor(private readonly config: OwnershipConfig) {}

  static load(config: OwnershipConfig, known: { fields: ReadonlyMap<EntityName, ReadonlySet<string>>; systems: ReadonlySet<string> }, source = 'config#/ownership'): Ownership {
    const problems: FieldProblem[] = [];
    for (const [entity, fields] of Object.entries(config.fields) as [EntityName, Record<string, readonly string[]>][]) {
      for (const [field, owners] of Object.entries(fields)) {
        const at = `${source}/fields/${entity}/${field}`;
        if (!known.fields.get(entity)?.has(field)) problems.push({ pointer: at, detail: `${entity} has no field ${field}` });
        if (owners.length === 0) problems.push({ pointer: at, detail: 'names no system; leave the field out to let every system write it' });
        for (const o of owners) if (!known.systems.has(o)) problems.push({ pointer: at, detail: `${o} is not a known system (${[...known.systems].join(', ')})` });
      }
    }
    if (problems.length > 0) throw new ConfigError('Field ownership is invalid', problems);
    return new Ownership(config);
  }

  /**
   * Of `fields` (what an inbound mapping of `system` writes), those whose ownership rule does not name
   * `system`: ingest drops them on every change, so a mapping that writes them is worth a warning.
   */
  neverOwned(system: string, entity: EntityName, fields: readonly string[]): { field: string; owners: readonly string[] }[] {
    return fields.flatMap((field) => {
      const owners = this.owners(entity, field);
      return owners && !owners.includes(system) ? [{ field, owners }] : [];
    });
  }

  owners(entity: EntityName, field: string): readonly string[] | undefined {
    const fields = this.config.fields[entity];
    // Own keys only: a field named like an Object.prototype member (`constructor`) has no owners.
    return fields && Object.hasOwn(fields, field) ? fields[field] : undefined;
  }

  /**
   * Decides, field by field, what an inbound change from `system` may do, given what the hub knows
   * of who last set each field. A field the system does not own is ignored; a field another system
   * that may also write it changed within the window is a conflict; everything else is accepted.
   */
  decide(system: string, entity: EntityName, fields: readonly string[], lineage: (field: string) => FieldLineage | undefined, now: Date = new Date()): InboundDecision {
    const accepted: string[] = [];
    const ignored: string[] = [];
    const conflicts: string[] = [];
    const windowMs = this.config.conflictWindowSeconds * 1000;
    for (const field of fields) {
      const owners = this.owners(entity, field);
      if (owners && !owners.includes(system)) {
        ignored.push(field);
        continue;
      }
      const last = lineage(field);
      const recent = last && last.system !== system && now.getTime() - Date.parse(last.at) < windowMs;
      const otherMayWrite = last && (!owners || owners.includes(last.system));
      if (recent && otherMayWrite) conflicts.push(field);
      else accepted.push(field);
    }
    return { accepted, ignored, conflicts };
  }
}
