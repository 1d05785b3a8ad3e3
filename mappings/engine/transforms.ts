import { TransformError, VALUE_TYPES, type CompiledTransform, type CustomTransform, type TransformContext, type TransformFn, type TransformSpec, type ValueType } from './transform-types.js';
import { currencyScale, isCurrency } from '../../core/model/codes.js';
import {
  SpecError,
  argsOf,
  compiled,
  fail,
  given,
  intArg,
  isObject,
  isPath,
  isScalar,
  noArgs,
  oneOf,
  readPath,
  scalarType,
  strArg,
  type Args,
  type Custom,
} from './transforms-args.js';
import { compileAdd, compileSubtract } from './transforms-arith.js';
import { compileDateFormat, isDateText, isDatetimeText, makeFormatter, makeParser, zoneOf } from './transforms-dates.js';
import {
  ROUNDING_MODES,
  fixedFast,
  fixedText,
  fromMinor,
  isNumericText,
  numberText,
  plainText,
  readDecimal,
  toMinor,
  toNumberValue,
  type RoundingName,
} from './transforms-numbers.js';

/**
 * Value transforms named in mapping files. A spec ('trim', { decimal: { scale: 2 } }) is checked
 * and compiled once, at load, into a plain function; nothing is parsed per record.
 *
 * Conventions: every transform except `default` and `concat` returns null/undefined unchanged.
 * A refused value throws TransformError whose message names the transform and the reason but
 * never contains the value (values may be protected).
 */

export { VALUE_TYPES, TransformError, type ValueType, type TransformContext, type TransformFn, type CompiledTransform, type TransformSpec, type CustomTransform } from './transform-types.js';

// ---- transforms ----

const STRINGISH: readonly ValueType[] = ['string', 'decimal', 'number', 'integer', 'boolean', 'date', 'datetime'];

function stringFn(name: string, raw: unknown, f: (s: string) => unknown): CompiledTransform {
  noArgs(name, raw);
  return compiled(name, ['string'], 'string', (v) => {
    if (typeof v !== 'string') throw new TransformError(name, 'value is not a string');
    return f(v);
  });
}

/** Text of a scalar for concat/toString; numbers in plain notation. Undefined for non-scalars. */
function scalarText(v: unknown, name: string): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberText(v, name);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}

function compileConcat(raw: unknown): CompiledTransform {
  const name = 'concat';
  const a = argsOf(name, raw, ['with', 'separator']);
  if (!given(a, 'with')) fail(`${name}: with is required`);
  const list = a['with'];
  if (!Array.isArray(list) || list.length === 0) fail(`${name}: with must be a non-empty list`);
  const parts = list.map((entry: unknown, i): { path: string[]; field: string } | { text: string } => {
    if (isPath(entry)) return { path: entry.split('.'), field: entry };
    if (isObject(entry) && Object.keys(entry).length === 1 && typeof entry['const'] === 'string') return { text: entry['const'] };
    return fail(`${name}: with[${i}] must be a field path or { const: <string> }`);
  });
  const separator = given(a, 'separator') ? a['separator'] : '';
  if (typeof separator !== 'string') fail(`${name}: separator must be a string`);
  const textOf = (v: unknown, what: string): string => {
    const text = scalarText(v, name);
    if (text === undefined) throw new TransformError(name, `${what} is not a scalar`);
    return text;
  };
  const whats = parts.map((p) => ('text' in p ? 'const' : `field '${p.field}'`));
  const reads = Object.freeze(parts.flatMap((p) => ('field' in p ? [p.field] : [])));
  const t = compiled(name, STRINGISH, 'string', (value, ctx) => {
    let out = '';
    let any = false;
    if (value !== null && value !== undefined && value !== '') {
      const t = textOf(value, 'value');
      if (t !== '') { out = t; any = true; }
    }
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      const v = 'text' in p ? p.text : readPath(ctx.record, p.path);
      if (v === null || v === undefined || v === '') continue;
      const t = textOf(v, whats[i]!);
      if (t === '') continue;
      out = any ? out + separator + t : t;
      any = true;
    }
    if (!any && (value === null || value === undefined)) return value;
    return out;
  }, false);
  return Object.freeze({ ...t, reads });
}

function compileSplit(raw: unknown): CompiledTransform {
  const name = 'split';
  const a = argsOf(name, raw, ['separator', 'index']);
  const separator = strArg(name, a, 'separator', true);
  const index = intArg(name, a, 'index', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  return compiled(name, ['string'], 'string', (v) => {
    if (typeof v !== 'string') throw new TransformError(name, 'value is not a string');
    const parts = v.split(separator);
    return parts[index < 0 ? parts.length + index : index] ?? null;
  });
}

/** Every occurrence of a literal text replaced (no patterns: a mapping file holds data, not code). */
function compileReplace(raw: unknown): CompiledTransform {
  const name = 'replace';
  const a = argsOf(name, raw, ['search', 'with']);
  const search = strArg(name, a, 'search', true);
  const replacement = given(a, 'with') ? a['with'] : '';
  if (typeof replacement !== 'string') fail(`${name}: with must be a string`);
  return compiled(name, ['string'], 'string', (v) => {
    if (typeof v !== 'string') throw new TransformError(name, 'value is not a string');
    return v.split(search).join(replacement);
  });
}

const codePoints = (s: string): string[] => Array.from(s);

function compilePad(raw: unknown): CompiledTransform {
  const name = 'pad';
  const a = argsOf(name, raw, ['length', 'char', 'side']);
  const length = intArg(name, a, 'length', 1, 1000, true);
  const char = given(a, 'char') ? a['char'] : ' ';
  if (typeof char !== 'string' || codePoints(char).length !== 1) fail(`${name}: char must be a single character`);
  const side = oneOf(name, a, 'side', ['left', 'right'], 'left');
  return compiled(name, ['string'], 'string', (v) => {
    if (typeof v !== 'string') throw new TransformError(name, 'value is not a string');
    const missing = length - codePoints(v).length;
    if (missing <= 0) return v;
    return side === 'left' ? char.repeat(missing) + v : v + char.repeat(missing);
  });
}

function compileSubstring(raw: unknown): CompiledTransform {
  const name = 'substring';
  const a = argsOf(name, raw, ['start', 'length']);
  const start = intArg(name, a, 'start', 0, Number.MAX_SAFE_INTEGER, true);
  const length = intArg(name, a, 'length', 0, Number.MAX_SAFE_INTEGER, false);
  const end = length === undefined ? undefined : start + length;
  return compiled(name, ['string'], 'string', (v) => {
    if (typeof v !== 'string') throw new TransformError(name, 'value is not a string');
    return codePoints(v).slice(start, end).join('');
  });
}

const ROUNDINGS = Object.keys(ROUNDING_MODES) as RoundingName[];

function compileDecimal(raw: unknown): CompiledTransform {
  const name = 'decimal';
  const a = argsOf(name, raw, ['scale', 'rounding']);
  const scale = intArg(name, a, 'scale', 0, 12, true);
  const rounding = oneOf(name, a, 'rounding', ROUNDINGS, 'half_up');
  return compiled(name, ['decimal', 'number', 'integer', 'string'], 'decimal', (v) =>
    (typeof v === 'string' ? fixedFast(v, scale) : undefined) ?? fixedText(readDecimal(v, name), scale, rounding),
  );
}

function compileToNumber(raw: unknown): CompiledTransform {
  noArgs('toNumber', raw);
  return compiled('toNumber', ['decimal', 'string', 'integer'], 'number', (v) => toNumberValue(v, 'toNumber'));
}

function compileToDecimal(raw: unknown): CompiledTransform {
  const name = 'toDecimal';
  const scale = intArg(name, argsOf(name, raw, ['scale']), 'scale', 0, 12, false);
  return compiled(name, ['number', 'integer', 'string'], 'decimal', (v) => {
    if (typeof v === 'number' && Number.isFinite(v)) {
      const s = v === 0 ? '0' : String(v);
      if (!s.includes('e')) {
        const fast = scale === undefined ? s : fixedFast(s, scale);
        if (fast !== undefined) return fast;
      }
    }
    const d = readDecimal(v, name);
    return scale === undefined ? plainText(d) : fixedText(d, scale, 'half_up');
  });
}

/** Scale argument of the minor-unit transforms: fixed, or read per record from a currency field. */
function minorScale(name: string, raw: unknown): (ctx: TransformContext) => number {
  const a = argsOf(name, raw, ['scale', 'currencyField']);
  if (given(a, 'scale') && given(a, 'currencyField')) fail(`${name}: give either scale or currencyField, not both`);
  if (given(a, 'currencyField')) {
    const field = a['currencyField'];
    if (!isPath(field)) fail(`${name}: currencyField must be a field path`);
    const path = field.split('.');
    return (ctx) => {
      const code = readPath(ctx.record, path);
      if (typeof code !== 'string' || !isCurrency(code)) {
        throw new TransformError(name, `currency field '${field}' does not hold an ISO 4217 code`);
      }
      return currencyScale(code);
    };
  }
  const scale = intArg(name, a, 'scale', 0, 6, false) ?? 2;
  return () => scale;
}

function compileToMinorUnits(raw: unknown): CompiledTransform {
  const name = 'toMinorUnits';
  const scaleFor = minorScale(name, raw);
  return compiled(name, ['decimal', 'string'], 'integer', (v, ctx) => toMinor(v, scaleFor(ctx), name));
}

function compileFromMinorUnits(raw: unknown): CompiledTransform {
  const name = 'fromMinorUnits';
  const scaleFor = minorScale(name, raw);
  return compiled(name, ['integer', 'string'], 'decimal', (v, ctx) => fromMinor(v, scaleFor(ctx), name));
}

function zoneArg(name: string, a: Args): NonNullable<ReturnType<typeof zoneOf>> {
  const zoneName = given(a, 'timeZone') ? a['timeZone'] : 'UTC';
  const zone = typeof zoneName === 'string' ? zoneOf(zoneName) : undefined;
  return zone ?? fail(`${name}: timeZone must be a known IANA time zone`);
}

function dateFormatArg(name: string, a: Args, parsing: boolean): Exclude<ReturnType<typeof compileDateFormat>, { error: string }> {
  const format = strArg(name, a, 'format', true);
  const result = compileDateFormat(format, parsing);
  return 'error' in result ? fail(`${name}: ${result.error}`) : result;
}

function compileFormatDate(raw: unknown): CompiledTransform {
  const name = 'formatDate';
  const a = argsOf(name, raw, ['format', 'timeZone']);
  const format = dateFormatArg(name, a, false);
  const output = format.kind === 'epoch_ms' || format.kind === 'epoch_s' ? 'integer' : 'string';
  return compiled(name, ['date', 'datetime', 'string'], output, makeFormatter(format, zoneArg(name, a)));
}

function compileParseDate(raw: unknown): CompiledTransform {
  const name = 'parseDate';
  const a = argsOf(name, raw, ['format', 'timeZone', 'to']);
  const format = dateFormatArg(name, a, true);
  const zone = zoneArg(name, a);
  const to = oneOf(name, a, 'to', ['date', 'datetime'], 'datetime');
  const accepts: readonly ValueType[] = format.kind === 'epoch_ms' || format.kind === 'epoch_s' ? ['integer', 'string'] : ['string'];
  return compiled(name, accepts, to, makeParser(format, zone, to));
}

interface ValueMap {
  readonly values: ReadonlyMap<string, string | number | boolean | null>;
  readonly hasFallback: boolean;
  readonly fallback: string | number | boolean | null;
}

function valueMapArgs(raw: unknown): ValueMap {
  const name = 'map';
  const a = argsOf(name, raw, ['values', 'fallback']);
  if (!given(a, 'values')) fail(`${name}: values is required`);
  const values = a['values'];
  if (!isObject(values) || Object.keys(values).length === 0) fail(`${name}: values must be a non-empty mapping`);
  const entries = Object.entries(values);
  for (const [key, v] of entries) {
    if (v !== null && !isScalar(v)) fail(`${name}: the value for '${key}' must be a string, number, boolean or null`);
  }
  const fallback = a['fallback'];
  const hasFallback = given(a, 'fallback');
  if (hasFallback && fallback !== null && !isScalar(fallback)) fail(`${name}: fallback must be a string, number, boolean or null`);
  return { values: new Map(entries as [string, string | number | boolean | null][]), hasFallback, fallback: hasFallback ? (fallback as string | number | boolean | null) : null };
}

/** One type for all mapped values (ignoring nulls), or 'any' when they differ. */
function mappedType(m: ValueMap): ValueType {
  const outputs = [...m.values.values(), ...(m.hasFallback ? [m.fallback] : [])];
  const types = new Set(outputs.flatMap((v) => (v === null ? [] : [scalarType(v)])));
  if (types.size === 2 && types.has('integer') && types.has('number')) return 'number';
  return types.size === 1 ? [...types][0]! : 'any';
}

function compileMap(raw: unknown): CompiledTransform {
  const name = 'map';
  const m = valueMapArgs(raw);
  return compiled(name, ['string', 'decimal', 'integer', 'number', 'boolean'], mappedType(m), (v) => {
    if (!isScalar(v) && typeof v !== 'bigint') throw new TransformError(name, 'value is not a scalar');
    const key = String(v);
    if (m.values.has(key)) return m.values.get(key);
    if (m.hasFallback) return m.fallback;
    throw new TransformError(name, 'value is not in the value map');
  });
}

function compileDefault(raw: unknown): CompiledTransform {
  const name = 'default';
  const a = argsOf(name, raw, ['value']);
  if (!given(a, 'value')) fail(`${name}: value is required`);
  const value = a['value'];
  if (!isScalar(value)) fail(`${name}: value must be a string, number or boolean`);
  const own = scalarType(value);
  const fits = (input: ValueType): boolean =>
    input === own ||
    (input === 'number' && own === 'integer') ||
    (typeof value === 'string' &&
      ((input === 'decimal' && isNumericText(value)) ||
        (input === 'date' && isDateText(value)) ||
        (input === 'datetime' && isDatetimeText(value))));
  return compiled(
    name,
    STRINGISH,
    (input) => (input === 'any' ? own : fits(input) ? input : { error: `default value (${own}) does not fit ${input}` }),
    (v) => (v === null || v === undefined || v === '' ? value : v),
    false,
  );
}

const DEFAULT_TRUE: readonly unknown[] = [true, 1, '1', 'true', 'yes', 'Y'];
const DEFAULT_FALSE: readonly unknown[] = [false, 0, '0', 'false', 'no', 'N'];

function compileToBoolean(raw: unknown): CompiledTransform {
  const name = 'toBoolean';
  const a = argsOf(name, raw, ['true', 'false']);
  const list = (key: 'true' | 'false', fallback: readonly unknown[]): ReadonlySet<unknown> => {
    if (!given(a, key)) return new Set(fallback);
    const v = a[key];
    if (!Array.isArray(v) || v.length === 0 || !v.every(isScalar)) {
      fail(`${name}: ${key} must be a non-empty list of strings, numbers or booleans`);
    }
    return new Set(v);
  };
  const yes = list('true', DEFAULT_TRUE);
  const no = list('false', DEFAULT_FALSE);
  if ([...yes].some((v) => no.has(v))) fail(`${name}: a value is listed as both true and false`);
  return compiled(name, ['boolean', 'string', 'integer', 'number'], 'boolean', (v) => {
    if (yes.has(v)) return true;
    if (no.has(v)) return false;
    throw new TransformError(name, 'value is not a recognised boolean');
  });
}

function compileToString(raw: unknown): CompiledTransform {
  noArgs('toString', raw);
  return compiled('toString', STRINGISH, 'string', (v) => {
    const text = scalarText(v, 'toString');
    if (text === undefined) throw new TransformError('toString', 'value is not a scalar');
    return text;
  });
}

function compileCustom(raw: unknown, custom: Custom): CompiledTransform {
  const a = argsOf('custom', raw, ['name']);
  const customName = strArg('custom', a, 'name', true);
  const entry = custom?.get(customName);
  if (!entry) fail(`custom: unknown custom transform '${customName}'`);
  const name = `custom:${customName}`;
  const f = entry.fn;
  return compiled(name, entry.input ?? VALUE_TYPES, entry.output ?? 'any', (v, ctx) => {
    try {
      return f(v, ctx);
    } catch (e) {
      // A host's own error message could quote the value, so only TransformErrors pass through.
      if (e instanceof TransformError) throw e;
      throw new TransformError(name, 'the custom transform failed');
    }
  });
}

const BUILTINS: ReadonlyMap<string, (raw: unknown, custom: Custom) => CompiledTransform> = new Map([
  ['trim', (raw: unknown) => stringFn('trim', raw, (s) => s.trim())],
  ['upper', (raw: unknown) => stringFn('upper', raw, (s) => s.toUpperCase())],
  ['lower', (raw: unknown) => stringFn('lower', raw, (s) => s.toLowerCase())],
  ['concat', compileConcat],
  ['split', compileSplit],
  ['replace', compileReplace],
  ['pad', compilePad],
  ['substring', compileSubstring],
  ['decimal', compileDecimal],
  ['toNumber', compileToNumber],
  ['toDecimal', compileToDecimal],
  ['add', compileAdd],
  ['subtract', compileSubtract],
  ['toMinorUnits', compileToMinorUnits],
  ['fromMinorUnits', compileFromMinorUnits],
  ['formatDate', compileFormatDate],
  ['parseDate', compileParseDate],
  ['map', compileMap],
  ['default', compileDefault],
  ['toBoolean', compileToBoolean],
  ['toString', compileToString],
  ['custom', compileCustom],
]);

/** Names of the built-in transforms. */
export const TRANSFORM_NAMES: readonly string[] = Object.freeze([...BUILTINS.keys()]);

function splitSpec(spec: unknown): { name: string; raw: unknown } {
  if (typeof spec === 'string') return { name: spec, raw: undefined };
  if (isObject(spec)) {
    const keys = Object.keys(spec);
    if (keys.length === 1) return { name: keys[0]!, raw: spec[keys[0]!] };
  }
  return fail('a transform must be a name or a mapping with exactly one key');
}

/** Compiles one spec, checking its name and arguments; { error } names the transform and the bad argument. */
export function compileTransform(spec: TransformSpec, custom?: ReadonlyMap<string, CustomTransform>): CompiledTransform | { error: string } {
  try {
    const { name, raw } = splitSpec(spec);
    const build = BUILTINS.get(name);
    if (!build) return { error: `unknown transform '${name}'` };
    return build(raw, custom);
  } catch (e) {
    if (e instanceof SpecError) return { error: e.message };
    throw e;
  }
}

/** The keys of a `map` transform's value map, so a loader can check them against an enum. */
export function valueMapOf(spec: TransformSpec): { keys: string[]; hasFallback: boolean } | undefined {
  if (!isObject(spec) || Object.keys(spec).length !== 1 || !Object.hasOwn(spec, 'map')) return undefined;
  try {
    const m = valueMapArgs(spec['map']);
    return { keys: [...m.values.keys()], hasFallback: m.hasFallback };
  } catch (e) {
    if (e instanceof SpecError) return undefined;
    throw e;
  }
}
