import { NotFoundError, UnprocessableError } from '../../core/errors.js';
import { ENTITIES, type EntityName, type JsonObject, type StoredRecord } from '../../core/model/entities.js';
import { fieldPaths, type FieldCatalog } from '../../core/policy/catalog.js';
import type { PolicyEngine } from '../../core/policy/engine.js';
import type { Store } from '../../core/store/store.js';
import { lookupLinks } from './links.js';
import { MappingError, type CompiledMapping, type MappingContext } from './compile.js';
import { WayOut } from './way-out.js';

export interface PreviewResult {
  mapping: string;
  receiver: string | null;
  payload: Record<string, unknown>;
  policy: { field: string; action: 'deny' | 'mask' | 'hash' | 'encrypt'; rule: string }[];
  unlinked: string[];
}

function present(record: JsonObject, path: string): boolean {
  const [top, sub] = path.split('.') as [string, string | undefined];
  const v = record[top];
  if (sub === undefined) return v !== undefined && v !== null;
  const items = Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : [];
  return items.some((i) => i && typeof i === 'object' && !Array.isArray(i) && i[sub] !== undefined && i[sub] !== null);
}

/**
 * Runs a mapping the way delivery will: an outbound record is projected for the mapping's target
 * first, then mapped; every field the policy did not pass in plain form is listed with its rule.
 * References without an id link yet are shown as `unlinked:<hub id>` and listed.
 */
export async function previewMapping(mapping: CompiledMapping, input: { recordId?: string; record?: JsonObject }, deps: { store: Store; policy: PolicyEngine; catalog: FieldCatalog }): Promise<PreviewResult> {
  let source: JsonObject;
  if (input.recordId !== undefined) {
    if (mapping.direction !== 'out') throw new UnprocessableError('An inbound mapping previews a sample record', [{ pointer: '/recordId', detail: 'use record with an external record for an inbound mapping' }]);
    const stored: StoredRecord | undefined = await deps.store.records.get(ENTITIES[mapping.entity], input.recordId);
    if (!stored) throw new NotFoundError(`No ${mapping.entity} with that id`);
    source = stored;
  } else source = input.record ?? {};

  const policy: PreviewResult['policy'] = [];
  const run = (map: (ctx: MappingContext) => Record<string, unknown>, ctx: MappingContext) => {
    try {
      return map(ctx);
    } catch (error) {
      if (error instanceof MappingError) throw new UnprocessableError('The record cannot be mapped', [{ pointer: `/payload/${error.field.replace(/\./g, '/')}`, detail: error.message }]);
      throw error;
    }
  };
  const unlinked: string[] = [];
  const linkOrMark = (links: ReadonlyMap<string, string>): MappingContext => ({
    link: (entity, id) => {
      const to = links.get(`${entity}:${id}`);
      if (to !== undefined) return to;
      unlinked.push(`${entity}:${id}`);
      return `unlinked:${id}`;
    },
  });

  if (mapping.direction === 'in') {
    const inbound = mapping;
    const payload = run((ctx) => inbound.map(source, ctx), linkOrMark(await lookupLinks(mapping, [source], deps.store.links)));
    return { mapping: mapping.name, receiver: null, payload, policy, unlinked: [...new Set(unlinked)] };
  }
  // Outbound: the way delivery sends it — projected for the receiver bound to the target, then mapped.
  const way = new WayOut(deps.policy, mapping);
  const receiver = mapping.target;
  const view = way.project(source);
  if (!view) throw new UnprocessableError(`${mapping.target} does not receive this ${mapping.entity} (its row filter excludes it)`, [{ pointer: input.recordId !== undefined ? '/recordId' : '/record', detail: 'is outside the target\'s rows' }]);
  for (const field of fieldPaths(deps.catalog, mapping.entity)) {
    if (!present(source, field)) continue;
    const d = deps.policy.decision(mapping.target, mapping.entity, field);
    if (d.action !== 'allow') policy.push({ field, action: d.action, rule: `${mapping.target}/${mapping.entity}` });
  }
  const payload = run((ctx) => way.map(view, ctx).payload, linkOrMark(await lookupLinks(mapping, [view], deps.store.links)));
  return { mapping: mapping.name, receiver, payload, policy, unlinked: [...new Set(unlinked)] };
}
