import type { EntityName } from '../model/entities.js';

/**
 * The fields of each entity as the wire sees them: top-level names, and for object or array-of-object
 * fields the names inside (`lines.unitPrice`, `billingAddress.city`). Built from the OpenAPI spec.
 */
export type FieldCatalog = ReadonlyMap<EntityName, ReadonlyMap<string, ReadonlySet<string> | null>>;

/** Every field path of an entity: `name`, and `lines.unitPrice` for nested fields. */
export function fieldPaths(catalog: FieldCatalog, entity: EntityName): string[] {
  const out: string[] = [];
  for (const [field, subs] of catalog.get(entity) ?? []) {
    if (subs) for (const s of subs) out.push(`${field}.${s}`);
    else out.push(field);
  }
  return out;
}

/** Fields every visible record carries whatever the rules say: identity and version (for ETags). */
export const STRUCTURAL_FIELDS: ReadonlySet<string> = new Set(['id', 'version']);
