import { Decimal } from 'decimal.js';
import { fmt, type Dec } from '../../core/model/decimal.js';
import { TransformError } from './transform-types.js';

/**
 * Number helpers for the mapping transforms. Values are read exactly (decimal strings never pass
 * through binary floats); JS numbers are read through their shortest round-trip representation.
 *
 * core/model/decimal.ts keeps its Decimal clone private and its `dec()` only admits canonical
 * decimals (≤ 16 integer digits, ≤ 6 decimals), which is too narrow for what external systems send,
 * so this module uses a clone with the same configuration (precision 40, half-up) and reuses
 * `fmt()` for half-up formatting.
 */
const N = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });

/** Plain decimal notation only: no exponent, no NaN/Infinity, no hex, no thousands separators. */
const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
/** Longer numeric strings are refused (nothing legitimate is that long; keeps work bounded). */
const MAX_NUMERIC_LENGTH = 100;
const INTEGER_TEXT = /^-?\d{1,40}$/;
/** Canonical decimal text: no '+', no leading zeros, digits on both sides of a point. */
const CANONICAL = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?$/;
const POW10: Dec[] = Array.from({ length: 13 }, (_, i) => new N(10).pow(i));
/** Significant digits of canonical text (first to last non-zero digit, the point not counted). */
function sigDigits(text: string): number {
  let first = -1;
  let last = -1;
  let point = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) point = i;
    else if (c > 48 && c <= 57) {
      if (first < 0) first = i;
      last = i;
    }
  }
  if (first < 0) return 0;
  return last - first + 1 - (point > first && point < last ? 1 : 0);
}
/** Fast exact formatting when no rounding is needed; undefined otherwise. */
export function fixedFast(text: string, scale: number): string | undefined {
  const m = text.length <= MAX_NUMERIC_LENGTH ? CANONICAL.exec(text) : null;
  if (!m) return undefined;
  const frac = m[3] ?? '';
  if (frac.length > scale) return undefined;
  if (m[1] === '-' && m[2] === '0' && !/[1-9]/.test(frac)) return undefined;
  return scale === 0 ? `${m[1]}${m[2]}` : `${m[1]}${m[2]}.${frac.padEnd(scale, '0')}`;
}

export const ROUNDING_MODES = {
  half_up: Decimal.ROUND_HALF_UP,
  half_even: Decimal.ROUND_HALF_EVEN,
  down: Decimal.ROUND_DOWN,
  up: Decimal.ROUND_UP,
  floor: Decimal.ROUND_FLOOR,
  ceiling: Decimal.ROUND_CEIL,
} as const;
export type RoundingName = keyof typeof ROUNDING_MODES;

/** True for a string this module reads as a number ("12.50", "-3", ".5"; not "1e5"). */
export function isNumericText(text: string): boolean {
  return text.length <= MAX_NUMERIC_LENGTH && NUMERIC.test(text);
}

/** Reads a decimal string, a numeric string, a finite JS number or a bigint. */
export function readDecimal(value: unknown, transform: string): Dec {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TransformError(transform, 'value is not a finite number');
    return new N(value);
  }
  if (typeof value === 'string') {
    if (!isNumericText(value)) throw new TransformError(transform, 'value is not a decimal number');
    return new N(value);
  }
  if (typeof value === 'bigint') return new N(value.toString());
  throw new TransformError(transform, 'value is not a decimal number');
}

/** Plain notation without exponent; never "-0". */
export function plainText(value: Dec): string {
  return value.isZero() ? '0' : value.toFixed();
}

/** Exactly `scale` decimals, rounded with `mode`; never "-0.00". */
export function fixedText(value: Dec, scale: number, mode: RoundingName): string {
  const text =
    mode === 'half_up' ? fmt(value, scale) : value.toDecimalPlaces(scale, ROUNDING_MODES[mode]).toFixed(scale);
  return text.startsWith('-') && /^-[0.]+$/.test(text) ? text.slice(1) : text;
}

/** JS number → plain decimal text (shortest round-trip digits, never exponent notation). */
export function numberText(value: number, transform: string): string {
  if (!Number.isFinite(value)) throw new TransformError(transform, 'value is not a finite number');
  return plainText(new N(value));
}

export function toNumberValue(value: unknown, transform: string): number {
  if (typeof value === 'string' && value.length <= 40 && CANONICAL.test(value) && sigDigits(value) <= 15) {
    const n = Number(value);
    return n === 0 ? 0 : n;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TransformError(transform, 'value is not a finite number');
    return value === 0 ? 0 : value;
  }
  const d = readDecimal(value, transform);
  // Any decimal with at most 15 significant digits survives the trip through a double (DBL_DIG).
  if (d.sd() > 15) {
    throw new TransformError(transform, 'value has more than 15 significant digits and would lose precision');
  }
  const n = d.toNumber();
  return n === 0 ? 0 : n;
}

/** Decimal → integer count of minor units; refuses hidden rounding and unsafe integers. */
export function toMinor(value: unknown, scale: number, transform: string): number {
  if (typeof value === 'string' && value.length <= 40) {
    const m = CANONICAL.exec(value);
    const frac = m ? (m[3] ?? '').replace(/0+$/, '') : '';
    if (m && frac.length <= scale && (m[2] ?? '').length + scale <= 15) {
      const n = Number(`${m[2]}${frac.padEnd(scale, '0')}`);
      return n === 0 ? 0 : m[1] === '-' ? -n : n;
    }
  }
  const d = readDecimal(value, transform);
  if (d.decimalPlaces() > scale) {
    throw new TransformError(transform, `value has more decimal places than the scale ${scale}`);
  }
  const minor = d.times(POW10[scale] ?? new N(10).pow(scale));
  if (minor.abs().greaterThan(Number.MAX_SAFE_INTEGER)) {
    throw new TransformError(transform, 'value is beyond the safe integer range');
  }
  const n = minor.toNumber();
  return n === 0 ? 0 : n;
}

/** Integer count of minor units (number, bigint or digit string) → decimal with `scale` decimals. */
export function fromMinor(value: unknown, scale: number, transform: string): string {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TransformError(transform, 'value is not an integer');
    if (!Number.isSafeInteger(value)) throw new TransformError(transform, 'value is beyond the safe integer range');
    text = String(value);
  } else if (typeof value === 'bigint') {
    text = value.toString();
  } else if (typeof value === 'string') {
    text = value;
  } else {
    throw new TransformError(transform, 'value is not an integer');
  }
  if (!INTEGER_TEXT.test(text)) throw new TransformError(transform, 'value is not an integer');
  // At most 40 digits, so the division by a power of ten is exact at precision 40.
  return fixedText(new N(text).dividedBy(new N(10).pow(scale)), scale, 'half_up');
}
