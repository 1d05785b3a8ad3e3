/** Shared helpers of the transform tests. */
import { expect } from 'vitest';
import {
  TRANSFORM_NAMES,
  TransformError,
  VALUE_TYPES,
  compileTransform,
  valueMapOf,
  type CompiledTransform,
  type CustomTransform,
  type TransformSpec,
  type ValueType,
} from '../../mappings/engine/transforms.js';

export type Rec = Record<string, unknown>;

export function compile(spec: TransformSpec, custom?: ReadonlyMap<string, CustomTransform>): CompiledTransform {
  const c = compileTransform(spec, custom);
  if ('error' in c) throw new Error(`unexpected compile error: ${c.error}`);
  return c;
}

export const run = (spec: TransformSpec, value: unknown, record: Rec = {}): unknown => compile(spec).fn(value, { record });

export function specError(spec: unknown): string {
  const c = compileTransform(spec as TransformSpec);
  if (!('error' in c)) throw new Error('expected a compile error');
  return c.error;
}

/** Asserts the refusal message, and that the refused value does not appear in it. */
export function refused(spec: TransformSpec, value: unknown, message: string, record: Rec = {}): void {
  let caught: unknown;
  try {
    compile(spec).fn(value, { record });
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TransformError);
  const error = caught as TransformError;
  expect(error.message).toBe(message);
  expect(error.transform).toBe(message.slice(0, message.indexOf(':')));
  const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
  if (text.length >= 3) expect(error.message).not.toContain(text);
}

export const out = (spec: TransformSpec, input: ValueType) => compile(spec).outputFor(input);

export const BERLIN = 'Europe/Berlin';
