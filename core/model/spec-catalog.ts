import { ENTITIES, ENTITY_NAMES, type EntityName } from './entities.js';
import type { FieldCatalog } from '../policy/catalog.js';

type Json = Record<string, unknown>;

/** A schema of the spec document with its `$ref`s followed. */
export function deref(doc: Json, schema: unknown): Json {
  let s = schema as Json;
  for (let i = 0; i < 10 && typeof s?.['$ref'] === 'string'; i++) {
    s = (s['$ref'] as string)
      .replace(/^(openapi\.json)?#\//, '')
      .split('/')
      .reduce<unknown>((n, k) => (n as Json)[k], doc) as Json;
  }
  return s ?? {};
}

/** Properties of an object schema, through $ref, allOf and the object branch of oneOf/anyOf. */
function properties(doc: Json, schema: unknown, depth = 0): Map<string, Json> {
  const s = deref(doc, schema);
  const out = new Map<string, Json>();
  if (depth > 5) return out;
  for (const [k, v] of Object.entries((s['properties'] ?? {}) as Json)) out.set(k, v as Json);
  for (const part of (s['allOf'] ?? []) as unknown[]) for (const [k, v] of properties(doc, part, depth + 1)) out.set(k, v);
  return out;
}

/** The object schema a property holds (directly, nullable, or as array items), if any. */
function objectOf(doc: Json, schema: Json): Json | undefined {
  const s = deref(doc, schema);
  if (s['type'] === 'array' && s['items']) return objectOf(doc, s['items'] as Json);
  for (const branch of [...((s['oneOf'] ?? []) as Json[]), ...((s['anyOf'] ?? []) as Json[])]) {
    const o = objectOf(doc, branch);
    if (o) return o;
  }
  return s['properties'] || s['allOf'] ? s : undefined;
}

/**
 * The field catalogue of each canonical entity, read from the response schemas of the spec: the
 * policy engine checks rules against it, and projects exactly these fields (related records
 * brought along with `expand` are projected separately, as records of their own entity).
 */
export function fieldCatalog(document: Json, extra: Partial<Record<EntityName, readonly string[]>> = {}): FieldCatalog {
  const schemas = ((document['components'] as Json)['schemas'] ?? {}) as Json;
  const catalog = new Map<EntityName, Map<string, ReadonlySet<string> | null>>();
  const related = new Set(['customer', 'order', 'receivable']);
  for (const entity of ENTITY_NAMES) {
    const fields = new Map<string, ReadonlySet<string> | null>();
    for (const [name, schema] of properties(document, schemas[ENTITIES[entity].typeName])) {
      if (related.has(name)) continue;
      const obj = objectOf(document, schema);
      fields.set(name, obj ? new Set(properties(document, obj).keys()) : null);
    }
    for (const f of extra[entity] ?? []) fields.set(f, null);
    catalog.set(entity, fields);
  }
  return catalog;
}

/** Canonical type of a field path (`total`, `lines.unitPrice`), with the enum values when it has some. */
export interface FieldType {
  readonly type: 'string' | 'decimal' | 'integer' | 'number' | 'boolean' | 'date' | 'datetime' | 'object' | 'array' | 'any';
  readonly enum?: readonly string[];
}

const SCALAR_TYPES: Readonly<Record<string, FieldType['type']>> = {
  Money: 'decimal', SignedMoney: 'decimal', OrderTotal: 'decimal', Quantity: 'decimal', SignedDecimal: 'decimal', Percent: 'decimal',
  Date: 'date', Timestamp: 'datetime', Id: 'string', CurrencyCode: 'string', CountryCode: 'string', Email: 'string',
};

function typeOf(doc: Json, schema: Json): FieldType {
  const ref = typeof schema['$ref'] === 'string' ? (schema['$ref'] as string).split('/').pop() ?? '' : '';
  if (SCALAR_TYPES[ref]) return { type: SCALAR_TYPES[ref] };
  const s = deref(doc, schema);
  for (const branch of [...((s['oneOf'] ?? []) as Json[]), ...((s['anyOf'] ?? []) as Json[])]) {
    const t = typeOf(doc, branch);
    if (deref(doc, branch)['type'] !== 'null') return t;
  }
  const raw = Array.isArray(s['type']) ? (s['type'] as string[]).find((t) => t !== 'null') : s['type'];
  const e = Array.isArray(s['enum']) ? (s['enum'] as unknown[]).filter((v): v is string => typeof v === 'string') : undefined;
  const base = raw === 'string' ? 'string' : raw === 'integer' ? 'integer' : raw === 'number' ? 'number' : raw === 'boolean' ? 'boolean' : raw === 'array' ? 'array' : raw === 'object' || s['properties'] || s['allOf'] ? 'object' : 'any';
  return e && e.length > 0 ? { type: base, enum: e } : { type: base };
}

/** Types of every field path of each entity, read from the spec (for the mapping loader's checks). */
export function fieldTypes(document: Json): ReadonlyMap<EntityName, ReadonlyMap<string, FieldType>> {
  const schemas = ((document['components'] as Json)['schemas'] ?? {}) as Json;
  const out = new Map<EntityName, Map<string, FieldType>>();
  for (const entity of ENTITY_NAMES) {
    const types = new Map<string, FieldType>();
    for (const [name, schema] of properties(document, schemas[ENTITIES[entity].typeName])) {
      types.set(name, typeOf(document, schema));
      const obj = objectOf(document, schema);
      if (obj) for (const [sub, subSchema] of properties(document, obj)) types.set(`${name}.${sub}`, typeOf(document, subSchema));
    }
    out.set(entity, types);
  }
  return out;
}

/** Fields a create of each entity requires (from `<Entity>Create`). */
export function requiredOnCreate(document: Json): ReadonlyMap<EntityName, readonly string[]> {
  const schemas = ((document['components'] as Json)['schemas'] ?? {}) as Json;
  return new Map(ENTITY_NAMES.map((e) => [e, ((deref(document, schemas[`${ENTITIES[e].typeName}Create`])['required'] ?? []) as string[])]));
}
