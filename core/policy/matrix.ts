import { ENTITY_NAMES, type JsonObject } from '../model/entities.js';
import { fieldPaths, type FieldCatalog } from './catalog.js';
import type { PolicyEngine } from './engine.js';

/** For one receiver: per entity the row scope, each field's decision, and what it may write. */
export function effectivePolicy(engine: PolicyEngine, catalog: FieldCatalog, receiver: string): JsonObject {
  return {
    receiver,
    entities: ENTITY_NAMES.map((entity) => {
      const rule = engine.rule(receiver, entity);
      const rows = !rule ? 'none' : typeof rule.rows === 'string' ? rule.rows : `${rule.rows.where.field} in [${rule.rows.where.in.join(', ')}]`;
      return {
        entity,
        rows,
        fields: fieldPaths(catalog, entity).map((field) => {
          const d = engine.decision(receiver, entity, field);
          return { field, action: d.action, mask: d.mask ?? null };
        }),
        write: rule ? [...rule.write] : [],
        delete: rule?.delete ?? false,
      };
    }),
  };
}

/** The matrix as text: one line per receiver × entity × field (every receiver, or those given). */
export function formatMatrix(engine: PolicyEngine, catalog: FieldCatalog, receivers: readonly string[] = engine.receivers()): string {
  const lines: string[] = [];
  for (const receiver of receivers) {
    const eff = effectivePolicy(engine, catalog, receiver) as { entities: { entity: string; rows: string; fields: { field: string; action: string; mask: string | null }[] }[] };
    for (const e of eff.entities) {
      for (const f of e.fields) lines.push([receiver, e.entity, f.field, f.action === 'mask' ? `mask:${f.mask}` : f.action, `rows=${e.rows}`].join('\t'));
    }
  }
  return ['receiver\tentity\tfield\tdecision\trows', ...lines].join('\n');
}
