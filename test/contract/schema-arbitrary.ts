import fc from 'fast-check';

type Json = Record<string, unknown>;

export interface ArbitraryOptions {
  /** The document `$ref`s point into. */
  readonly document: Json;
  /** Longest string or array generated (the spec's own maximum when it is smaller). */
  readonly maxLength?: number;
  /** Values to use for a property of this name instead of (or beside) generated ones, e.g. ids of stored records. */
  readonly known?: (property: string) => readonly string[] | undefined;
}

function deref(doc: Json, schema: unknown): Json {
  let s = (schema ?? {}) as Json;
  for (let i = 0; i < 20 && typeof s['$ref'] === 'string'; i++) {
    s = (s['$ref'] as string)
      .replace(/^(openapi\.json)?#\//, '')
      .split('/')
      .reduce<unknown>((n, k) => (n as Json)[k], doc) as Json;
  }
  return s;
}

const LOWER_BOUNDS = new Set(['minLength', 'minItems', 'minProperties', 'minimum']);
const UPPER_BOUNDS = new Set(['maxLength', 'maxItems', 'maxProperties', 'maximum']);

/**
 * Two schemas a value must both satisfy, as one (the cases openapi.yaml has: a create or patch
 * schema that narrows the fields it takes through `allOf`). Where both compose with `oneOf`/`anyOf`,
 * the later (narrower) composition is kept.
 */
function merge(doc: Json, a: Json, b: Json): Json {
  const out: Json = { ...a };
  if ((b['oneOf'] || b['anyOf']) && (a['oneOf'] || a['anyOf'])) {
    delete out['oneOf'];
    delete out['anyOf'];
  }
  for (const [key, value] of Object.entries(b)) {
    if (key === 'properties') {
      const props: Json = { ...((a['properties'] ?? {}) as Json) };
      for (const [name, schema] of Object.entries(value as Json)) props[name] = name in props ? merge(doc, flatten(doc, props[name]), flatten(doc, schema)) : schema;
      out['properties'] = props;
    } else if (key === 'items' && a['items']) out['items'] = merge(doc, flatten(doc, a['items']), flatten(doc, value));
    else if (key === 'required') out['required'] = [...new Set([...((a['required'] ?? []) as string[]), ...(value as string[])])];
    else if (LOWER_BOUNDS.has(key) && typeof a[key] === 'number') out[key] = Math.max(a[key], value as number);
    else if (UPPER_BOUNDS.has(key) && typeof a[key] === 'number') out[key] = Math.min(a[key], value as number);
    else out[key] = value;
  }
  return out;
}

/** A schema with its `$ref` followed and its `allOf` parts merged into it. */
function flatten(doc: Json, schema: unknown): Json {
  const s = deref(doc, schema);
  if (!Array.isArray(s['allOf'])) return s;
  const { allOf, ...rest } = s;
  return [...(allOf as unknown[]).map((part) => flatten(doc, part)), rest].reduce((acc, part) => merge(doc, acc, part), {} as Json);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A calendar date (`format: date`). */
export const dateArb = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2090-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));

const plainDateTime: fc.Arbitrary<string> = fc
  .tuple(fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2090-12-31T00:00:00Z'), noInvalidDate: true }), fc.integer({ min: -14 * 60, max: 14 * 60 }), fc.boolean())
  .map(([d, offset, zulu]) => {
    const iso = d.toISOString();
    if (zulu) return iso;
    const sign = offset < 0 ? '-' : '+';
    const abs = Math.abs(offset);
    const local = new Date(d.getTime() + offset * 60_000).toISOString().slice(0, -1);
    return `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  });

/** An RFC 3339 date-time with `Z` or an offset, as `format: date-time` allows; now and then a leap second, or in lower case. */
export const dateTimeArb = fc.oneof(
  { weight: 8, arbitrary: plainDateTime },
  { weight: 1, arbitrary: dateArb.map((d) => `${d}T23:59:60Z`) },
  { weight: 1, arbitrary: plainDateTime.map((v) => v.toLowerCase()) },
);

/**
 * Values valid against a JSON Schema of the spec (the subset openapi.yaml uses: $ref, type and type
 * lists, enum, pattern, format date and date-time, lengths, ranges, objects with allOf, required and
 * closed properties, arrays, oneOf/anyOf).
 */
export function valid(schema: unknown, options: ArbitraryOptions, property = ''): fc.Arbitrary<unknown> {
  const doc = options.document;
  const s = flatten(doc, schema);
  const cap = options.maxLength ?? 24;
  const known = property ? options.known?.(property) : undefined;
  const withKnown = (arb: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => (known && known.length > 0 ? fc.oneof({ arbitrary: fc.constantFrom(...known), weight: 3 }, { arbitrary: arb, weight: 1 }) : arb);

  if (Array.isArray(s['enum'])) return fc.constantFrom(...(s['enum'] as unknown[]));
  for (const key of ['oneOf', 'anyOf'] as const) {
    if (Array.isArray(s[key])) return fc.oneof(...(s[key] as unknown[]).map((branch) => valid(branch, options, property)));
  }
  if (Array.isArray(s['type'])) return fc.oneof(...(s['type'] as string[]).map((type) => valid({ ...s, type }, options, property)));
  const type = s['type'] ?? (s['properties'] || s['allOf'] ? 'object' : undefined);
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: typeof s['minimum'] === 'number' ? s['minimum'] : -1000, max: typeof s['maximum'] === 'number' ? s['maximum'] : 1_000_000 });
    case 'number':
      return fc.double({ min: -1e6, max: 1e6, noNaN: true });
    case 'string': {
      const min = typeof s['minLength'] === 'number' ? s['minLength'] : 0;
      const max = Math.max(min, Math.min(typeof s['maxLength'] === 'number' ? s['maxLength'] : cap, cap));
      const fits = (v: string) => [...v].length >= min && [...v].length <= (typeof s['maxLength'] === 'number' ? s['maxLength'] : Infinity);
      if (s['format'] === 'date') return withKnown(dateArb);
      if (s['format'] === 'date-time') return withKnown(dateTimeArb);
      if (typeof s['pattern'] === 'string') return withKnown(fc.stringMatching(new RegExp(s['pattern'], 'u')).filter(fits));
      return withKnown(fc.string({ unit: fc.oneof({ arbitrary: fc.constantFrom('a', 'Z', '7', ' ', '-', 'ü', '€', '中', '😀', '"', "'", '<', '%', '\\'), weight: 3 }, { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 1 }), minLength: min, maxLength: max }));
    }
    case 'array': {
      const minItems = typeof s['minItems'] === 'number' ? s['minItems'] : 0;
      const maxItems = Math.max(minItems, Math.min(typeof s['maxItems'] === 'number' ? s['maxItems'] : 3, 3));
      const item = valid(s['items'] ?? {}, options, property);
      return s['uniqueItems'] ? fc.uniqueArray(item, { minLength: minItems, maxLength: maxItems, selector: (v) => JSON.stringify(v) }) : fc.array(item, { minLength: minItems, maxLength: maxItems });
    }
    case 'object': {
      const properties = (s['properties'] ?? {}) as Json;
      const required = new Set((s['required'] ?? []) as string[]);
      const minProperties = typeof s['minProperties'] === 'number' ? s['minProperties'] : 0;
      const maxProperties = typeof s['maxProperties'] === 'number' ? s['maxProperties'] : Infinity;
      const names = Object.keys(properties);
      if (names.length === 0) return fc.dictionary(fc.constantFrom('a', 'b', 'name', 'x-y'), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
      const record = fc.record(Object.fromEntries(names.map((n) => [n, valid(properties[n], options, n)])), { requiredKeys: names.filter((n) => required.has(n)) });
      return record.filter((o) => Object.keys(o).length >= minProperties && Object.keys(o).length <= maxProperties);
    }
    default:
      // No type: any JSON value.
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Whether an object schema refuses properties it does not name. */
export function closedObject(schema: unknown, document: Json): boolean {
  const s = flatten(document, schema);
  return s['additionalProperties'] === false || s['unevaluatedProperties'] === false;
}
