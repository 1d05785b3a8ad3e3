import type { EntityName } from '../../core/model/entities.js';
import type { LinkRepository } from '../../core/store/links-repository.js';
import type { Projected } from '../../core/policy/engine.js';
import type { CompiledMapping, InboundMapping, MappingContext, OutboundMapping } from './compile.js';

type Src = Readonly<Record<string, unknown>>;

/**
 * The id links a mapping's lookups need for these records: a first pass collects the referenced
 * ids, then one query per referenced entity fetches them (hub → external id for an outbound
 * mapping, external → hub id for an inbound one). Keys are `<entity>:<id>`. A record that cannot be
 * mapped is skipped here; the caller's real pass reports it.
 */
export async function lookupLinks(mapping: OutboundMapping, records: Iterable<Projected>, repository: LinkRepository): Promise<Map<string, string>>;
export async function lookupLinks(mapping: InboundMapping, records: Iterable<Src>, repository: LinkRepository): Promise<Map<string, string>>;
export async function lookupLinks(mapping: CompiledMapping, records: Iterable<Src>, repository: LinkRepository): Promise<Map<string, string>>;
export async function lookupLinks(mapping: CompiledMapping, records: Iterable<Src>, repository: LinkRepository): Promise<Map<string, string>> {
  // A collecting pass: its output is thrown away, only the ids it asks for are kept (the overloads
  // above keep an outbound mapping to projected records).
  const collectFrom = mapping.map as (record: Src, ctx: MappingContext) => unknown;
  const wanted = new Map<EntityName, Set<string>>();
  const collect: MappingContext = {
    link: (entity, id) => {
      let ids = wanted.get(entity);
      if (!ids) wanted.set(entity, (ids = new Set()));
      ids.add(id);
      return `unlinked:${id}`;
    },
  };
  for (const record of records) {
    try {
      collectFrom(record, collect);
    } catch {
      /* reported by the caller's pass */
    }
  }
  const links = new Map<string, string>();
  for (const [entity, ids] of wanted) {
    const found = mapping.direction === 'out' ? await repository.externalIds(mapping.connector, entity, [...ids]) : await repository.hubIds(mapping.connector, entity, [...ids]);
    for (const [from, to] of found) links.set(`${entity}:${from}`, to);
  }
  return links;
}

/** A mapping context answering lookups from `lookupLinks`' result. */
export function linkContext(links: ReadonlyMap<string, string>): MappingContext {
  return { link: (entity, id) => links.get(`${entity}:${id}`) };
}
