import { Decimal } from 'decimal.js';

/**
 * Decimal arithmetic for money and quantities. Values travel as strings ("1234.50"); binary floats
 * never touch them. Rounding is half-up (commercial rounding), the way ERPs round invoice lines.
 */
const D = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
export type Dec = InstanceType<typeof D>;

export const DECIMAL_PATTERN = /^-?(0|[1-9][0-9]{0,15})(\.[0-9]{1,6})?$/;

export function dec(value: string): Dec {
  if (!DECIMAL_PATTERN.test(value)) throw new TypeError('not a decimal string');
  return new D(value);
}

/**
 * Whether two decimal strings are the same amount ("10" and "10.00"), whatever their size: a sum
 * (an order's total) may be wider than `DECIMAL_PATTERN` allows one amount to be.
 */
export function sameAmount(a: string, b: string): boolean {
  return new D(a).equals(new D(b));
}

/** Digits before the point of a decimal string ("-123.45" → 3). */
export function integerDigits(value: string): number {
  return value.replace(/^-/, '').split('.')[0]?.length ?? 0;
}

export function zero(): Dec {
  return new D(0);
}

/** Digits after the point as written ("12.50" → 2). */
export function scaleOf(value: string): number {
  const point = value.indexOf('.');
  return point < 0 ? 0 : value.length - point - 1;
}

/** Fixed notation with exactly `scale` digits, rounded half-up. */
export function fmt(value: Dec, scale: number): string {
  return value.toDecimalPlaces(scale, D.ROUND_HALF_UP).toFixed(scale);
}

/** True when two decimal strings denote the same number ("1.5" equals "1.50"). */
export function sameNumber(a: string, b: string): boolean {
  return dec(a).equals(dec(b));
}
