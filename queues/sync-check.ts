import type { Connector } from '../connectors/contract.js';
import type { CompiledMapping } from '../mappings/engine/compile.js';
import type { MappingRegistry } from '../mappings/engine/load.js';
import type { Ownership } from '../mappings/engine/ownership.js';
import type { SyncConfig } from './config.js';
import type { FieldProblem } from '../core/errors.js';

/**
 * The mapping the sync engine uses for a connector, entity and direction: the one named
 * `<connector>.<entity>.<direction>`, else the first one loaded. The checks below look at the same one.
 */
export function mappingFor<D extends 'in' | 'out'>(mappings: MappingRegistry, connector: string, entity: string, direction: D): Extract<CompiledMapping, { direction: D }> | undefined {
  const found = mappings.list().filter((m): m is Extract<CompiledMapping, { direction: D }> => m.connector === connector && m.entity === entity && m.direction === direction);
  return found.find((m) => m.name === `${connector}.${entity}.${direction}`) ?? found[0];
}

/**
 * The sync section's checks against the mappings and connectors (`configured`: the connector names the
 * configuration defines, some of which may have failed to build), made with the rest of the configuration
 * before anything is opened: the sync engine is built only from a configuration that passed them. Every
 * problem at once.
 */
export function checkSyncConfig(sync: SyncConfig, mappings: MappingRegistry, connectors: ReadonlyMap<string, Connector>, configured: ReadonlySet<string> = new Set(connectors.keys())): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const [kind, entries] of [['targets', sync.targets], ['sources', sync.sources]] as const) {
    for (const [name, settings] of Object.entries(entries)) {
      const at = `/sync/${kind}/${name}`;
      // Configured but not built (its own problems are listed already): its mappings are still checked.
      if (!configured.has(name)) {
        problems.push({ pointer: at, detail: `no connector named ${name} is configured (connectors.${name})` });
        continue;
      }
      const direction = kind === 'targets' ? 'out' : 'in';
      for (const entity of settings.entities) {
        if (!mappingFor(mappings, name, entity, direction)) problems.push({ pointer: `${at}/entities`, detail: `no ${direction === 'out' ? 'outbound' : 'inbound'} mapping for ${entity} with connector ${name}` });
      }
    }
  }
  for (const [name, t] of Object.entries(sync.targets)) {
    const connector = connectors.get(name);
    if (connector) problems.push(...duplicateRisks(name, connector, t.entities.map((e) => mappingFor(mappings, name, e, 'out')), `/sync/targets/${name}`));
  }
  for (const [name, s] of Object.entries(sync.sources)) {
    const connector = connectors.get(name);
    if (!connector || s.deletes === false || s.webhookSecret) continue;
    const described = connector.describe().entities;
    const blind = (s.deletes === true ? s.entities : s.deletes).flatMap((e) => {
      const m = mappingFor(mappings, name, e, 'in');
      return m && !described[m.externalEntity]?.detectDeletes ? [m.externalEntity] : [];
    });
    if (blind.length > 0) problems.push({ pointer: `/sync/sources/${name}/deletes`, detail: `${name} reports no deletes for ${blind.join(', ')} (set its deletedFlag / deletedField, or a webhookSecretEnv for deletes by webhook)` });
  }
  return problems;
}

/**
 * Targets where a create whose answer was lost (a timeout, a reset after the write, a garbled answer)
 * would be made twice when retried: the system names records itself and nothing finds an earlier
 * try's record, or the mapping does not write the field that would find it. Refused at start.
 */
export function duplicateRisks(name: string, connector: Connector, out: readonly (CompiledMapping | undefined)[], at: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const described = connector.describe().entities;
  for (const m of out) {
    if (!m) continue;
    const caps = described[m.externalEntity];
    if (caps?.createRetry === 'none') {
      problems.push({ pointer: `${at}/entities`, detail: `${name} names ${m.externalEntity} records itself and has no upsert lookup: a create whose answer is lost would be retried and make a duplicate (configure the lookup: http upsert.lookup, erpnext lookupField, written by mapping ${m.name})` });
    } else if (caps?.upsertKey !== undefined && !m.writes.includes(caps.upsertKey)) {
      const role = caps.createRetry === 'lookup' ? 'looks an earlier create up by' : 'addresses records by';
      problems.push({ pointer: `${at}/entities`, detail: `mapping ${m.name} does not write ${caps.upsertKey}, the field ${name} ${role}: a retried create would make a duplicate` });
    }
  }
  return problems;
}

/** An inbound mapping of a configured source that writes fields the source may never set. */
export interface UnownedWrites {
  readonly source: string;
  readonly mapping: string;
  readonly entity: string;
  readonly fields: readonly { readonly field: string; readonly owners: readonly string[] }[];
}

/**
 * Inbound mappings of configured sources that write fields the ownership rules give to other
 * systems: ingest drops those fields on every change. Not an error (a mapping may be shared, or the
 * field deliberately kept by the hub), but never silent: the hub logs each at start.
 */
export function unownedInboundWrites(sync: SyncConfig, mappings: MappingRegistry, ownership: Ownership): UnownedWrites[] {
  const out: UnownedWrites[] = [];
  for (const source of Object.keys(sync.sources)) {
    for (const m of mappings.list()) {
      if (m.connector !== source || m.direction !== 'in') continue;
      const fields = ownership.neverOwned(source, m.entity, m.writes);
      if (fields.length > 0) out.push({ source, mapping: m.name, entity: m.entity, fields });
    }
  }
  return out;
}

/** How a rule reads in the configuration, for log lines and messages. */
export function ownershipRule(entity: string, field: string, owners: readonly string[]): string {
  return `ownership.fields.${entity}.${field}: [${owners.join(', ')}]`;
}
