import type { FieldProblem } from '../errors.js';
import type { EntityName } from '../model/entities.js';
import type { PolicyEngine } from './engine.js';

/**
 * The load-time check for outbound mappings: a mapping may read only fields its target receives
 * in some form. Each refused read names the mapping, the field, and the rule that denies it.
 * (The mappings issue calls this for every outbound mapping when the configuration loads.)
 */
export function checkMappingReads(engine: PolicyEngine, mapping: { name: string; target: string; entity: EntityName; reads: readonly string[] }): FieldProblem[] {
  const receiver = `target:${mapping.target}`;
  if (!engine.receivers().includes(receiver)) {
    return [{ pointer: `mapping:${mapping.name}`, detail: `target ${mapping.target} has no policy: it receives nothing (default deny)` }];
  }
  const rule = engine.rule(receiver, mapping.entity);
  return mapping.reads.flatMap((field) => {
    const decision = engine.decision(receiver, mapping.entity, field);
    if (decision.action !== 'deny') return [];
    const why = !rule ? `the policy has no ${mapping.entity} rule for ${receiver}` : rule.rows === 'none' ? `${receiver} has rows: none for ${mapping.entity}` : `no read rule of ${receiver}/${mapping.entity} names ${field}`;
    return [{ pointer: `mapping:${mapping.name}#${field}`, detail: `reads ${mapping.entity}.${field}, which ${receiver} may not see (${why})` }];
  });
}
