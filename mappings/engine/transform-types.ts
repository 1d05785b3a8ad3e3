import { CodedError } from '../../core/errors.js';

/** The types every transform module shares, and the error a refused value throws (no module imports the transform library for them). */

export const VALUE_TYPES = ['string', 'decimal', 'number', 'integer', 'boolean', 'date', 'datetime', 'object', 'array', 'any'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

/** A refused value at run time. The message never contains the value itself. */
export class TransformError extends CodedError {
  readonly transform: string;
  constructor(transform: string, reason: string) {
    super('transform', `${transform}: ${reason}`);
    this.transform = transform;
  }
}

export interface TransformContext {
  /** the whole source record, for transforms that read other fields (concat, currency-aware minor units) */
  readonly record: Readonly<Record<string, unknown>>;
}
export type TransformFn = (value: unknown, ctx: TransformContext) => unknown;
export interface CompiledTransform {
  readonly name: string;
  readonly fn: TransformFn;
  /** output type for a given input type, or an error string when the input type is not accepted */
  readonly outputFor: (input: ValueType) => ValueType | { error: string };
  /** Other fields of the record the transform reads (`concat`'s `with`, `subtract`'s `field`), checked like a rule's `from`. */
  readonly reads?: readonly string[];
}
/** A transform as written in a mapping file: 'trim' or { decimal: { scale: 2 } }. */
export type TransformSpec = string | Record<string, unknown>;
/** Host-registered custom transforms (TypeScript functions registered by an embedding host by name). */
export interface CustomTransform {
  readonly fn: TransformFn;
  readonly input?: readonly ValueType[];
  readonly output?: ValueType;
}
