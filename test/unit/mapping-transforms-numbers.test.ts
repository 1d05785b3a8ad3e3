import { describe, expect, it } from 'vitest';
import { type TransformSpec } from '../../mappings/engine/transforms.js';
import { run, refused, out } from './transform-helpers.js';

describe('decimal', () => {
  const d = (scale: number, rounding?: string): TransformSpec => ({ decimal: rounding ? { scale, rounding } : { scale } });

  it('formats with exactly `scale` digits from strings and numbers', () => {
    expect(run(d(2), '1234.5')).toBe('1234.50');
    expect(run(d(2), 1234.5)).toBe('1234.50');
    expect(run(d(2), 7)).toBe('7.00');
    expect(run(d(0), '12')).toBe('12');
    expect(run(d(3), '+.5')).toBe('0.500');
    expect(run(d(2), 0.1 + 0.2)).toBe('0.30');
    expect(run(d(12), '1')).toBe('1.000000000000');
    expect(run(d(2), null)).toBeNull();
    expect(run(d(2), undefined)).toBeUndefined();
  });

  it('rounds halves per mode, including negatives', () => {
    const table: [string, string[], string[]][] = [
      //            2.5   -2.5    1.5   -1.5    2.4   -2.4    2.6
      ['half_up', ['3', '-3', '2', '-2', '2', '-2', '3'], []],
      ['half_even', ['2', '-2', '2', '-2', '2', '-2', '3'], []],
      ['down', ['2', '-2', '1', '-1', '2', '-2', '2'], []],
      ['up', ['3', '-3', '2', '-2', '3', '-3', '3'], []],
      ['floor', ['2', '-3', '1', '-2', '2', '-3', '2'], []],
      ['ceiling', ['3', '-2', '2', '-1', '3', '-2', '3'], []],
    ];
    const inputs = ['2.5', '-2.5', '1.5', '-1.5', '2.4', '-2.4', '2.6'];
    for (const [mode, expected] of table) {
      expect(inputs.map((v) => run(d(0, mode), v)), mode).toEqual(expected);
    }
    expect(run(d(2), '-0.125')).toBe('-0.13');
    expect(run(d(2, 'half_even'), '-0.125')).toBe('-0.12');
    expect(run(d(2), '1.005')).toBe('1.01'); // exact decimal, unlike the float 1.005
  });

  it('never produces negative zero', () => {
    expect(run(d(2), '-0.001')).toBe('0.00');
    expect(run(d(0, 'ceiling'), '-0.5')).toBe('0');
    expect(run(d(2), -0)).toBe('0.00');
  });

  it('handles the largest amounts exactly', () => {
    expect(run(d(4), '9999999999999999.9999')).toBe('9999999999999999.9999');
    expect(run(d(2), '9999999999999999.9999')).toBe('10000000000000000.00');
    expect(run(d(2, 'down'), '-9999999999999999.9999')).toBe('-9999999999999999.99');
  });

  it('refuses non-numeric strings, NaN, Infinity and exponent notation', () => {
    for (const bad of ['abc', '', ' 12', '1e5', '1E-2', 'NaN', 'Infinity', '0x1F', '1,50', '1.2.3', '--1', '.']) {
      refused(d(2), bad, 'decimal: value is not a decimal number');
    }
    refused(d(2), Number.NaN, 'decimal: value is not a finite number');
    refused(d(2), Number.POSITIVE_INFINITY, 'decimal: value is not a finite number');
    refused(d(2), true, 'decimal: value is not a decimal number');
    refused(d(2), '9'.repeat(101), 'decimal: value is not a decimal number');
  });

  it('declares numeric → decimal', () => {
    for (const t of ['decimal', 'number', 'integer', 'string', 'any'] as const) expect(out(d(2), t)).toBe('decimal');
    expect(out(d(2), 'boolean')).toEqual({ error: 'decimal expects decimal, number, integer or string, got boolean' });
  });
});

describe('toNumber', () => {
  it('converts decimals with up to 15 significant digits', () => {
    expect(run('toNumber', '1234.50')).toBe(1234.5);
    expect(run('toNumber', '-0.000000000000001')).toBe(-1e-15);
    expect(run('toNumber', '999999999999999')).toBe(999999999999999);
    expect(run('toNumber', '12300000000000000000000')).toBe(1.23e22);
    expect(run('toNumber', 42)).toBe(42);
    expect(Object.is(run('toNumber', '-0'), 0)).toBe(true);
  });

  it('refuses values that would lose precision', () => {
    const lossy = 'toNumber: value has more than 15 significant digits and would lose precision';
    refused('toNumber', '9999999999999999.9999', lossy);
    refused('toNumber', '1234567890123456', lossy);
    refused('toNumber', '0.1234567890123456', lossy);
    refused('toNumber', 'twelve', 'toNumber: value is not a decimal number');
    refused('toNumber', '1e3', 'toNumber: value is not a decimal number');
    refused('toNumber', Number.NaN, 'toNumber: value is not a finite number');
  });

  it('declares decimal/string/integer → number', () => {
    expect(out('toNumber', 'decimal')).toBe('number');
    expect(out('toNumber', 'integer')).toBe('number');
    expect(out('toNumber', 'date')).toEqual({ error: 'toNumber expects decimal, string or integer, got date' });
  });
});

describe('toDecimal', () => {
  it('uses the shortest round-trip digits, never exponent notation', () => {
    expect(run('toDecimal', 0.1)).toBe('0.1');
    expect(run('toDecimal', 0.1 + 0.2)).toBe('0.30000000000000004');
    expect(run('toDecimal', 1e21)).toBe('1000000000000000000000');
    expect(run('toDecimal', 1e-7)).toBe('0.0000001');
    expect(run('toDecimal', -0)).toBe('0');
    expect(run('toDecimal', 42)).toBe('42');
    expect(run('toDecimal', '12.50')).toBe('12.5');
    expect(run('toDecimal', null)).toBeNull();
  });

  it('rounds half-up to a scale', () => {
    expect(run({ toDecimal: { scale: 2 } }, 0.125)).toBe('0.13');
    expect(run({ toDecimal: { scale: 2 } }, -2.675)).toBe('-2.68'); // decimal of the shortest digits, not of the float
    expect(run({ toDecimal: { scale: 0 } }, '-2.5')).toBe('-3');
    expect(run({ toDecimal: { scale: 3 } }, 7)).toBe('7.000');
  });

  it('refuses NaN, Infinity and non-numeric strings', () => {
    refused('toDecimal', Number.NaN, 'toDecimal: value is not a finite number');
    refused('toDecimal', Number.NEGATIVE_INFINITY, 'toDecimal: value is not a finite number');
    refused('toDecimal', '1e21', 'toDecimal: value is not a decimal number');
    refused('toDecimal', 'secret', 'toDecimal: value is not a decimal number');
  });

  it('declares number/integer/string → decimal', () => {
    expect(out('toDecimal', 'number')).toBe('decimal');
    expect(out('toDecimal', 'boolean')).toEqual({ error: 'toDecimal expects number, integer or string, got boolean' });
  });
});

describe('toMinorUnits / fromMinorUnits', () => {
  it('converts with a fixed scale (default 2)', () => {
    expect(run('toMinorUnits', '12.34')).toBe(1234);
    expect(run({ toMinorUnits: { scale: 2 } }, '12.3')).toBe(1230);
    expect(run({ toMinorUnits: { scale: 0 } }, '12')).toBe(12);
    expect(run({ toMinorUnits: { scale: 3 } }, '-0.005')).toBe(-5);
    expect(run('toMinorUnits', '12.340')).toBe(1234); // trailing zeros are not extra precision
    expect(Object.is(run('toMinorUnits', '-0.00'), 0)).toBe(true);
    expect(run('fromMinorUnits', 1234)).toBe('12.34');
    expect(run('fromMinorUnits', '-5')).toBe('-0.05');
    expect(run('fromMinorUnits', 0)).toBe('0.00');
    expect(run({ fromMinorUnits: { scale: 0 } }, 1234)).toBe('1234');
    expect(run({ fromMinorUnits: { scale: 6 } }, '1')).toBe('0.000001');
    expect(run('fromMinorUnits', '99999999999999999999')).toBe('999999999999999999.99');
    expect(run('toMinorUnits', null)).toBeNull();
    expect(run('fromMinorUnits', undefined)).toBeUndefined();
  });

  it('reads the scale from a currency field', () => {
    const spec = { toMinorUnits: { currencyField: 'money.currency' } };
    expect(run(spec, '12.34', { money: { currency: 'EUR' } })).toBe(1234);
    expect(run(spec, '1234', { money: { currency: 'JPY' } })).toBe(1234);
    expect(run(spec, '12.345', { money: { currency: 'KWD' } })).toBe(12345);
    expect(run({ fromMinorUnits: { currencyField: 'currency' } }, 12345, { currency: 'KWD' })).toBe('12.345');
    expect(run({ fromMinorUnits: { currencyField: 'currency' } }, 500, { currency: 'JPY' })).toBe('500');
    const bad = "toMinorUnits: currency field 'money.currency' does not hold an ISO 4217 code";
    refused(spec, '12.34', bad, {});
    refused(spec, '12.34', bad, { money: { currency: 'EURO' } });
    refused(spec, '12.34', bad, { money: { currency: 'eur' } });
  });

  it('refuses hidden rounding and unsafe integers', () => {
    refused('toMinorUnits', '12.345', 'toMinorUnits: value has more decimal places than the scale 2');
    refused({ toMinorUnits: { currencyField: 'c' } }, '12.5', 'toMinorUnits: value has more decimal places than the scale 0', { c: 'JPY' });
    refused({ toMinorUnits: { scale: 2 } }, '9999999999999999.9999', 'toMinorUnits: value has more decimal places than the scale 2');
    refused({ toMinorUnits: { scale: 4 } }, '9999999999999999.9999', 'toMinorUnits: value is beyond the safe integer range');
    refused({ toMinorUnits: { scale: 2 } }, '90071992547409.92', 'toMinorUnits: value is beyond the safe integer range');
    expect(run({ toMinorUnits: { scale: 2 } }, '90071992547409.91')).toBe(Number.MAX_SAFE_INTEGER);
    expect(run({ toMinorUnits: { scale: 2 } }, '-90071992547409.91')).toBe(-Number.MAX_SAFE_INTEGER);
    refused('toMinorUnits', '12,34', 'toMinorUnits: value is not a decimal number');
    refused('fromMinorUnits', 12.5, 'fromMinorUnits: value is not an integer');
    refused('fromMinorUnits', '12.50', 'fromMinorUnits: value is not an integer');
    refused('fromMinorUnits', '1e3', 'fromMinorUnits: value is not an integer');
    refused('fromMinorUnits', 2 ** 60, 'fromMinorUnits: value is beyond the safe integer range');
    refused('fromMinorUnits', Number.NaN, 'fromMinorUnits: value is not an integer');
  });

  it('declares the types', () => {
    expect(out('toMinorUnits', 'decimal')).toBe('integer');
    expect(out('toMinorUnits', 'any')).toBe('integer');
    expect(out('toMinorUnits', 'number')).toEqual({ error: 'toMinorUnits expects decimal or string, got number' });
    expect(out('fromMinorUnits', 'integer')).toBe('decimal');
    expect(out('fromMinorUnits', 'decimal')).toEqual({ error: 'fromMinorUnits expects integer or string, got decimal' });
  });
});
