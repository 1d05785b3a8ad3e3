import { CodedError } from '../../core/errors.js';
import type { CompiledTransform, CustomTransform, TransformFn, ValueType } from './transform-types.js';

/**
 * Compile-time helpers of the transform library: argument checks that refuse a bad spec with a
 * short message, and the wrapper that gives every transform its type signature and null handling.
 */

export type Args = Readonly<Record<string, unknown>>;
export type Custom = ReadonlyMap<string, CustomTransform> | undefined;
export type Output = ValueType | ((input: ValueType) => ValueType | { error: string });

/** A transform's arguments in a mapping file that cannot work (found when the file is loaded). */
export class SpecError extends CodedError {
  constructor(message: string) {
    super('transform_spec', message);
  }
}
export function fail(message: string): never {
  throw new SpecError(message);
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
export const isPath = (v: unknown): v is string => typeof v === 'string' && v.split('.').every((seg) => seg.length > 0);
export const scalarType = (v: string | number | boolean): ValueType =>
  typeof v === 'string' ? 'string' : typeof v === 'boolean' ? 'boolean' : Number.isInteger(v) ? 'integer' : 'number';

export function typeList(types: readonly ValueType[]): string {
  return types.length === 1 ? types[0]! : `${types.slice(0, -1).join(', ')} or ${types[types.length - 1]!}`;
}

/** Reads a dotted path ("billingAddress.city", "lines.0.sku") from a record; own properties only. */
export function readPath(record: unknown, path: readonly string[]): unknown {
  let current = record;
  for (const seg of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, seg)) return undefined;
    current = (current as Record<string, unknown>)[seg];
  }
  return current;
}

export function compiled(name: string, accepts: readonly ValueType[], output: Output, fn: TransformFn, passNull = true): CompiledTransform {
  const accepted = new Set<ValueType>([...accepts, 'any']);
  const run: TransformFn = passNull ? (value, ctx) => (value === null || value === undefined ? value : fn(value, ctx)) : fn;
  return Object.freeze({
    name,
    fn: run,
    outputFor: (input: ValueType) => {
      if (!accepted.has(input)) return { error: `${name} expects ${typeList(accepts)}, got ${input}` };
      return typeof output === 'function' ? output(input) : output;
    },
  });
}

// ---- argument checks (compile time) ----

export function noArgs(name: string, raw: unknown): void {
  if (raw === undefined || raw === null || (isObject(raw) && Object.keys(raw).length === 0)) return;
  fail(`${name} takes no arguments`);
}

export function argsOf(name: string, raw: unknown, allowed: readonly string[]): Args {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) fail(`${name}: arguments must be a mapping`);
  for (const key of Object.keys(raw)) if (!allowed.includes(key)) fail(`${name}: unknown argument '${key}'`);
  return raw;
}

export const given = (a: Args, key: string): boolean => Object.hasOwn(a, key) && a[key] !== undefined;

export function intArg(name: string, a: Args, key: string, min: number, max: number, required: true): number;
export function intArg(name: string, a: Args, key: string, min: number, max: number, required: false): number | undefined;
export function intArg(name: string, a: Args, key: string, min: number, max: number, required: boolean): number | undefined {
  if (!given(a, key)) return required ? fail(`${name}: ${key} is required`) : undefined;
  const v = a[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (min === 0 ? 'a non-negative integer' : 'an integer') : `an integer from ${min} to ${max}`;
    fail(`${name}: ${key} must be ${range}`);
  }
  return v;
}

export function strArg(name: string, a: Args, key: string, required: true): string;
export function strArg(name: string, a: Args, key: string, required: false): string | undefined;
export function strArg(name: string, a: Args, key: string, required: boolean): string | undefined {
  if (!given(a, key)) return required ? fail(`${name}: ${key} is required`) : undefined;
  const v = a[key];
  if (typeof v !== 'string' || v === '') fail(`${name}: ${key} must be a non-empty string`);
  return v;
}

export function oneOf<T extends string>(name: string, a: Args, key: string, options: readonly T[], fallback: T): T {
  if (!given(a, key)) return fallback;
  const v = a[key];
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
    fail(`${name}: ${key} must be one of ${options.join(', ')}`);
  }
  return v as T;
}
