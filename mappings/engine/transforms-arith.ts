import { TransformError, type CompiledTransform, type ValueType } from './transform-types.js';
import { argsOf, compiled, fail, given, isPath, readPath } from './transforms-args.js';
import { plainText, readDecimal } from './transforms-numbers.js';

/**
 * Arithmetic with another field of the same record, decimal-exact: `subtract { field }` (the value
 * minus the field) and `add { field }`. What an ERP keeps as "total" and "still open" becomes what the
 * hub keeps as "paid": `paidAmount: { from: grand_total, transforms: [{ subtract: { field:
 * outstanding_amount } }] }`. Values and the operand are read exactly (decimal strings, or JS numbers
 * through their shortest round-trip digits; never added as binary floats) and the result is plain
 * decimal text at the precision the operands need (`1190.5 − 500` is `690.5`), negative where it comes
 * out so. A null value passes through, as with every transform; a missing or non-numeric operand
 * refuses the record (a sum with a guessed operand would be a wrong amount, not a missing one).
 */

const NUMERIC: readonly ValueType[] = ['decimal', 'number', 'integer', 'string'];

function operand(name: string, raw: unknown): { path: string[]; field: string } {
  const a = argsOf(name, raw, ['field']);
  if (!given(a, 'field')) fail(`${name}: field is required`);
  const field = a['field'];
  if (!isPath(field)) fail(`${name}: field must be a field path`);
  return { path: field.split('.'), field };
}

function arithmetic(name: 'add' | 'subtract', raw: unknown): CompiledTransform {
  const { path, field } = operand(name, raw);
  const t = compiled(name, NUMERIC, 'decimal', (value, ctx) => {
    const a = readDecimal(value, name);
    const other = readPath(ctx.record, path);
    if (other === null || other === undefined || other === '') throw new TransformError(name, `field '${field}' has no value`);
    let b;
    try {
      b = readDecimal(other, name);
    } catch {
      throw new TransformError(name, `field '${field}' is not a decimal number`);
    }
    return plainText(name === 'add' ? a.plus(b) : a.minus(b));
  });
  return Object.freeze({ ...t, reads: Object.freeze([field]) });
}

export const compileSubtract = (raw: unknown): CompiledTransform => arithmetic('subtract', raw);
export const compileAdd = (raw: unknown): CompiledTransform => arithmetic('add', raw);
