import { describe, expect, it } from 'vitest';
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

type Rec = Record<string, unknown>;

function compile(spec: TransformSpec, custom?: ReadonlyMap<string, CustomTransform>): CompiledTransform {
  const c = compileTransform(spec, custom);
  if ('error' in c) throw new Error(`unexpected compile error: ${c.error}`);
  return c;
}

const run = (spec: TransformSpec, value: unknown, record: Rec = {}): unknown => compile(spec).fn(value, { record });

function specError(spec: unknown): string {
  const c = compileTransform(spec as TransformSpec);
  if (!('error' in c)) throw new Error('expected a compile error');
  return c.error;
}

/** Asserts the refusal message, and that the refused value does not appear in it. */
function refused(spec: TransformSpec, value: unknown, message: string, record: Rec = {}): void {
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

const out = (spec: TransformSpec, input: ValueType) => compile(spec).outputFor(input);

const BERLIN = 'Europe/Berlin';

describe('spec compilation', () => {
  it('lists the built-in transforms', () => {
    expect([...TRANSFORM_NAMES].sort()).toEqual(
      ['concat', 'custom', 'decimal', 'default', 'formatDate', 'fromMinorUnits', 'lower', 'map', 'pad', 'parseDate',
        'split', 'substring', 'toBoolean', 'toDecimal', 'toMinorUnits', 'toNumber', 'toString', 'trim', 'upper'].sort(),
    );
    expect(VALUE_TYPES).toContain('any');
  });

  it('refuses unknown names and malformed specs', () => {
    expect(specError('frobnicate')).toBe("unknown transform 'frobnicate'");
    expect(specError({ toUpper: {} })).toBe("unknown transform 'toUpper'");
    expect(specError({ constructor: {} })).toBe("unknown transform 'constructor'");
    expect(specError({ trim: null, upper: null })).toBe('a transform must be a name or a mapping with exactly one key');
    expect(specError({})).toBe('a transform must be a name or a mapping with exactly one key');
    expect(specError(['trim'])).toBe('a transform must be a name or a mapping with exactly one key');
    expect(specError(42)).toBe('a transform must be a name or a mapping with exactly one key');
  });

  it('accepts argument-less transforms written as a name, with null or with {}', () => {
    for (const spec of ['trim', { trim: null }, { trim: {} }] as TransformSpec[]) expect(run(spec, ' a ')).toBe('a');
    expect(specError({ trim: { all: true } })).toBe('trim takes no arguments');
    expect(specError({ toNumber: 1 })).toBe('toNumber takes no arguments');
    expect(specError({ toString: 'x' })).toBe('toString takes no arguments');
  });

  it('reports bad arguments with exact messages', () => {
    const cases: [unknown, string][] = [
      [{ pad: 5 }, 'pad: arguments must be a mapping'],
      [{ pad: [1] }, 'pad: arguments must be a mapping'],
      ['pad', 'pad: length is required'],
      [{ pad: { length: 0 } }, 'pad: length must be an integer from 1 to 1000'],
      [{ pad: { length: 1001 } }, 'pad: length must be an integer from 1 to 1000'],
      [{ pad: { length: 2.5 } }, 'pad: length must be an integer from 1 to 1000'],
      [{ pad: { length: '5' } }, 'pad: length must be an integer from 1 to 1000'],
      [{ pad: { length: 5, char: '00' } }, 'pad: char must be a single character'],
      [{ pad: { length: 5, char: '' } }, 'pad: char must be a single character'],
      [{ pad: { length: 5, side: 'center' } }, 'pad: side must be one of left, right'],
      [{ pad: { length: 5, colour: 'red' } }, "pad: unknown argument 'colour'"],
      ['split', 'split: separator is required'],
      [{ split: { separator: '', index: 0 } }, 'split: separator must be a non-empty string'],
      [{ split: { separator: ',' } }, 'split: index is required'],
      [{ split: { separator: ',', index: 1.5 } }, 'split: index must be an integer'],
      [{ substring: {} }, 'substring: start is required'],
      [{ substring: { start: -1 } }, 'substring: start must be a non-negative integer'],
      [{ substring: { start: 0, length: -2 } }, 'substring: length must be a non-negative integer'],
      ['decimal', 'decimal: scale is required'],
      [{ decimal: { scale: 13 } }, 'decimal: scale must be an integer from 0 to 12'],
      [{ decimal: { scale: -1 } }, 'decimal: scale must be an integer from 0 to 12'],
      [{ decimal: { scale: null } }, 'decimal: scale must be an integer from 0 to 12'],
      [{ decimal: { scale: 2, rounding: 'HALF_UP' } }, 'decimal: rounding must be one of half_up, half_even, down, up, floor, ceiling'],
      [{ decimal: { scale: 2, precision: 4 } }, "decimal: unknown argument 'precision'"],
      [{ toDecimal: { scale: 13 } }, 'toDecimal: scale must be an integer from 0 to 12'],
      [{ toMinorUnits: { scale: 7 } }, 'toMinorUnits: scale must be an integer from 0 to 6'],
      [{ toMinorUnits: { scale: 2, currencyField: 'currency' } }, 'toMinorUnits: give either scale or currencyField, not both'],
      [{ toMinorUnits: { currencyField: 'a..b' } }, 'toMinorUnits: currencyField must be a field path'],
      [{ fromMinorUnits: { currencyField: 3 } }, 'fromMinorUnits: currencyField must be a field path'],
      [{ fromMinorUnits: { currency: 'EUR' } }, "fromMinorUnits: unknown argument 'currency'"],
      ['formatDate', 'formatDate: format is required'],
      [{ formatDate: { format: '' } }, 'formatDate: format must be a non-empty string'],
      [{ formatDate: { format: 'YYYY-MM-DD' } }, "formatDate: format has an unknown token 'YYYY'"],
      [{ formatDate: { format: 'yyyy-M-d' } }, "formatDate: format has an unknown token 'M'"],
      [{ formatDate: { format: "yyyy'T" } }, 'formatDate: format has an unterminated quote'],
      [{ formatDate: { format: "'date'" } }, 'formatDate: format has no date or time tokens'],
      [{ formatDate: { format: 'iso', timeZone: 'Mars/Olympus' } }, 'formatDate: timeZone must be a known IANA time zone'],
      [{ formatDate: { format: 'iso', timeZone: 1 } }, 'formatDate: timeZone must be a known IANA time zone'],
      [{ parseDate: { format: 'MM/dd' } }, 'parseDate: format must contain yyyy, MM and dd'],
      [{ parseDate: { format: 'yyyy-MM-dd dd' } }, "parseDate: format repeats the token 'dd'"],
      [{ parseDate: { format: 'iso', to: 'time' } }, 'parseDate: to must be one of date, datetime'],
      [{ parseDate: { format: 'iso', timeZone: 'Europe/Berlinn' } }, 'parseDate: timeZone must be a known IANA time zone'],
      ['map', 'map: values is required'],
      [{ map: { values: {} } }, 'map: values must be a non-empty mapping'],
      [{ map: { values: ['a'] } }, 'map: values must be a non-empty mapping'],
      [{ map: { values: { a: { x: 1 } } } }, "map: the value for 'a' must be a string, number, boolean or null"],
      [{ map: { values: { a: 'x' }, fallback: ['y'] } }, 'map: fallback must be a string, number, boolean or null'],
      ['default', 'default: value is required'],
      [{ default: { value: null } }, 'default: value must be a string, number or boolean'],
      [{ default: { value: [1] } }, 'default: value must be a string, number or boolean'],
      [{ toBoolean: { true: [] } }, 'toBoolean: true must be a non-empty list of strings, numbers or booleans'],
      [{ toBoolean: { false: 'no' } }, 'toBoolean: false must be a non-empty list of strings, numbers or booleans'],
      [{ toBoolean: { true: ['0'] } }, 'toBoolean: a value is listed as both true and false'],
      ['concat', 'concat: with is required'],
      [{ concat: { with: [] } }, 'concat: with must be a non-empty list'],
      [{ concat: { with: ['a.'] } }, 'concat: with[0] must be a field path or { const: <string> }'],
      [{ concat: { with: ['a', { const: 1 }] } }, 'concat: with[1] must be a field path or { const: <string> }'],
      [{ concat: { with: ['a'], separator: 1 } }, 'concat: separator must be a string'],
      ['custom', 'custom: name is required'],
      [{ custom: { name: 'nope' } }, "custom: unknown custom transform 'nope'"],
    ];
    for (const [spec, message] of cases) expect(specError(spec), JSON.stringify(spec)).toBe(message);
  });
});

describe('string transforms', () => {
  it('trims, upper- and lower-cases, locale-independently and unicode-aware', () => {
    expect(run('trim', '\u00a0 Müller \t\n')).toBe('Müller');
    expect(run('trim', '')).toBe('');
    expect(run('upper', 'straße')).toBe('STRASSE');
    expect(run('upper', 'istanbul')).toBe('ISTANBUL'); // no Turkish dotted İ
    expect(run('lower', 'ÉCOLE İ')).toBe('école i̇');
    expect(run('upper', 'e\u0301 😀')).toBe('E\u0301 😀');
    expect(run('lower', '')).toBe('');
  });

  it('passes null and undefined through', () => {
    for (const name of ['trim', 'upper', 'lower', 'toNumber', 'toString']) {
      expect(run(name, null)).toBeNull();
      expect(run(name, undefined)).toBeUndefined();
    }
  });

  it('refuses non-strings', () => {
    refused('trim', 12345, 'trim: value is not a string');
    refused('upper', { secret: 'x' }, 'upper: value is not a string');
  });

  it('declares string → string', () => {
    expect(out('trim', 'string')).toBe('string');
    expect(out('lower', 'any')).toBe('string');
    expect(out('upper', 'decimal')).toEqual({ error: 'upper expects string, got decimal' });
  });
});

describe('concat', () => {
  const record = { firstName: 'Ada', billingAddress: { city: 'Köln', zip: '' }, lines: [{ sku: 'S-1' }], n: 1e21 };

  it('joins the value with fields and constants, skipping nulls and empties', () => {
    const spec = { concat: { with: [{ const: '-' }, 'billingAddress.city', 'billingAddress.zip', 'missing.path'], separator: ' ' } };
    expect(run(spec, 'Lovelace', record)).toBe('Lovelace - Köln');
    expect(run(spec, '', record)).toBe('- Köln');
    expect(run({ concat: { with: ['lines.0.sku', 'n', { const: '' }] } }, true, record)).toBe('trueS-11000000000000000000000');
  });

  it('concatenates the others when the value itself is null', () => {
    expect(run({ concat: { with: ['firstName', 'billingAddress.city'], separator: ', ' } }, null, record)).toBe('Ada, Köln');
    expect(run({ concat: { with: ['missing'] } }, null, record)).toBeNull();
    expect(run({ concat: { with: ['missing'] } }, undefined, record)).toBeUndefined();
    expect(run({ concat: { with: ['missing'] } }, '', record)).toBe('');
  });

  it('does not read inherited properties', () => {
    expect(run({ concat: { with: ['firstName.length', 'constructor'] } }, 'x', record)).toBe('x');
  });

  it('refuses non-scalars without quoting them', () => {
    refused({ concat: { with: ['billingAddress'] } }, 'x', "concat: field 'billingAddress' is not a scalar", record);
    refused({ concat: { with: ['firstName'] } }, ['secret'], 'concat: value is not a scalar', record);
  });

  it('declares scalar → string', () => {
    expect(out({ concat: { with: ['a'] } }, 'integer')).toBe('string');
    expect(out({ concat: { with: ['a'] } }, 'object')).toEqual({
      error: 'concat expects string, decimal, number, integer, boolean, date or datetime, got object',
    });
  });
});

describe('split', () => {
  it('picks a part, counting negative indexes from the end', () => {
    expect(run({ split: { separator: ' ', index: 0 } }, 'Ada Lovelace')).toBe('Ada');
    expect(run({ split: { separator: ' ', index: -1 } }, 'Ada King Lovelace')).toBe('Lovelace');
    expect(run({ split: { separator: '|', index: 1 } }, 'a||c')).toBe('');
    expect(run({ split: { separator: '·', index: 1 } }, '😀·é')).toBe('é');
  });

  it('gives null for a missing part, passes null through', () => {
    expect(run({ split: { separator: ',', index: 2 } }, 'a,b')).toBeNull();
    expect(run({ split: { separator: ',', index: -3 } }, 'a,b')).toBeNull();
    expect(run({ split: { separator: ',', index: 1 } }, '')).toBeNull();
    expect(run({ split: { separator: ',', index: 0 } }, null)).toBeNull();
  });

  it('refuses non-strings and declares string → string', () => {
    refused({ split: { separator: ',', index: 0 } }, 1234, 'split: value is not a string');
    expect(out({ split: { separator: ',', index: 0 } }, 'boolean')).toEqual({ error: 'split expects string, got boolean' });
  });
});

describe('pad', () => {
  it('pads left by default, right on request, by code points', () => {
    expect(run({ pad: { length: 8, char: '0' } }, '4711')).toBe('00004711');
    expect(run({ pad: { length: 6, side: 'right' } }, 'ab')).toBe('ab    ');
    expect(run({ pad: { length: 3, char: '😀' } }, 'a')).toBe('😀😀a');
    expect(run({ pad: { length: 3, char: '*' } }, '😀')).toBe('**😀');
    // A combining mark is its own code point: "e" + U+0301 counts as two.
    expect(run({ pad: { length: 3, char: '*' } }, 'e\u0301')).toBe('*e\u0301');
    expect(run({ pad: { length: 2, char: '-' } }, '')).toBe('--');
  });

  it('leaves longer strings unchanged and passes null through', () => {
    expect(run({ pad: { length: 2 } }, 'abcdef')).toBe('abcdef');
    expect(run({ pad: { length: 4 } }, 'abcd')).toBe('abcd');
    expect(run({ pad: { length: 4 } }, null)).toBeNull();
    expect(run({ pad: { length: 4 } }, undefined)).toBeUndefined();
  });

  it('refuses numbers (use toString first)', () => {
    refused({ pad: { length: 10, char: '0' } }, 4711, 'pad: value is not a string');
    expect(out({ pad: { length: 2 } }, 'integer')).toEqual({ error: 'pad expects string, got integer' });
  });
});

describe('substring', () => {
  it('cuts by code points, not UTF-16 units', () => {
    expect(run({ substring: { start: 0, length: 3 } }, 'Lovelace')).toBe('Lov');
    expect(run({ substring: { start: 4 } }, 'Lovelace')).toBe('lace');
    expect(run({ substring: { start: 1, length: 2 } }, '😀😃😄x')).toBe('😃😄');
    expect(run({ substring: { start: 0, length: 1 } }, '😀')).toBe('😀');
    // Combining marks are separate code points and can be cut off.
    expect(run({ substring: { start: 0, length: 1 } }, 'e\u0301t')).toBe('e');
    expect(run({ substring: { start: 0, length: 2 } }, 'e\u0301t')).toBe('e\u0301');
  });

  it('handles out-of-range bounds and empty input', () => {
    expect(run({ substring: { start: 10 } }, 'abc')).toBe('');
    expect(run({ substring: { start: 1, length: 0 } }, 'abc')).toBe('');
    expect(run({ substring: { start: 1, length: 100 } }, 'abc')).toBe('bc');
    expect(run({ substring: { start: 0 } }, '')).toBe('');
    expect(run({ substring: { start: 0 } }, null)).toBeNull();
  });

  it('refuses non-strings', () => {
    refused({ substring: { start: 0 } }, 12345, 'substring: value is not a string');
  });
});

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

describe('formatDate', () => {
  const fmt = (format: string, timeZone?: string): TransformSpec => ({ formatDate: timeZone ? { format, timeZone } : { format } });
  const FULL = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";

  it('formats datetimes in UTC by default', () => {
    expect(run(fmt('dd.MM.yyyy HH:mm'), '2026-01-15T08:05:09.123Z')).toBe('15.01.2026 08:05');
    expect(run(fmt(FULL), '2026-01-15T08:05:09.123Z')).toBe('2026-01-15T08:05:09.123Z');
    expect(run(fmt("yyyyMMdd'_'HHmmss"), '2026-01-15T08:05:09Z')).toBe('20260115_080509');
    expect(run(fmt("'at' HH 'o''clock'"), '2026-01-15T08:05:09Z')).toBe("at 08 o'clock");
    expect(run(fmt("dd''MM"), '2026-01-15T08:05:09Z')).toBe("15'01");
    expect(run(fmt('iso'), '2026-01-15T09:05:09+01:00')).toBe('2026-01-15T08:05:09.000Z');
    expect(run(fmt('epoch_ms'), '1970-01-01T00:00:01.5Z')).toBe(1500);
    expect(run(fmt('epoch_s'), '1969-12-31T23:59:59.5Z')).toBe(-1);
    expect(run(fmt('yyyy-MM-dd'), new Date(Date.UTC(2026, 1, 28, 23, 0)))).toBe('2026-02-28');
    expect(run(fmt('yyyy'), null)).toBeNull();
    expect(run(fmt('yyyy'), undefined)).toBeUndefined();
  });

  it('converts across the Europe/Berlin spring DST switch', () => {
    expect(run(fmt(FULL, BERLIN), '2026-03-29T00:59:59Z')).toBe('2026-03-29T01:59:59.000+01:00');
    expect(run(fmt(FULL, BERLIN), '2026-03-29T01:00:00Z')).toBe('2026-03-29T03:00:00.000+02:00');
    expect(run(fmt('iso', BERLIN), '2026-10-25T00:30:00Z')).toBe('2026-10-25T02:30:00.000+02:00');
    expect(run(fmt('iso', BERLIN), '2026-10-25T01:30:00Z')).toBe('2026-10-25T02:30:00.000+01:00');
  });

  it('crosses the date line', () => {
    const at = '2026-06-30T10:30:00Z';
    expect(run(fmt('yyyy-MM-dd HH:mm XXX', 'Pacific/Kiritimati'), at)).toBe('2026-07-01 00:30 +14:00');
    expect(run(fmt('yyyy-MM-dd HH:mm XXX', 'Pacific/Pago_Pago'), at)).toBe('2026-06-29 23:30 -11:00');
    expect(run(fmt('yyyy-MM-dd HH:mm XXX', 'Asia/Kolkata'), at)).toBe('2026-06-30 16:00 +05:30');
  });

  it('keeps calendar dates unshifted', () => {
    expect(run(fmt('dd.MM.yyyy', 'Pacific/Kiritimati'), '2026-02-28')).toBe('28.02.2026');
    expect(run(fmt('dd.MM.yyyy', 'Pacific/Pago_Pago'), '2026-02-28')).toBe('28.02.2026');
    expect(run(fmt('iso', BERLIN), '2026-02-28')).toBe('2026-02-28');
    expect(run(fmt(FULL, BERLIN), '2026-07-01')).toBe('2026-07-01T00:00:00.000+02:00');
    // epoch formats take local midnight in the zone
    expect(run(fmt('epoch_ms'), '2026-01-01')).toBe(Date.UTC(2026, 0, 1));
    expect(run(fmt('epoch_s', BERLIN), '2026-01-01')).toBe(Date.UTC(2025, 11, 31, 23) / 1000);
  });

  it('refuses values that are not dates or timestamps', () => {
    refused(fmt('yyyy'), 'yesterday', 'formatDate: value is not an ISO 8601 date or timestamp');
    refused(fmt('yyyy'), '', 'formatDate: value is not an ISO 8601 date or timestamp');
    refused(fmt('yyyy'), '2026-02-30', 'formatDate: value is not a valid date');
    refused(fmt('yyyy'), '2026-02-03T24:00:00Z', 'formatDate: value is not a valid time');
    refused(fmt('yyyy'), '2026-02-03T10:00:00', 'formatDate: value is a timestamp without an offset');
    refused(fmt('yyyy'), '2026-02-03T10:00:00+25:00', 'formatDate: value has an invalid offset');
    refused(fmt('yyyy'), 1767225600000, 'formatDate: value is not a date or timestamp');
    refused(fmt('yyyy'), new Date(Number.NaN), 'formatDate: value is out of the supported range (years 1 to 9999)');
    refused(fmt('yyyy', 'Pacific/Kiritimati'), '9999-12-31T23:00:00Z', 'formatDate: value is out of the supported range (years 1 to 9999)');
  });

  it('declares date/datetime/string → string, or integer for epoch formats', () => {
    expect(out(fmt('yyyy'), 'date')).toBe('string');
    expect(out(fmt('iso'), 'datetime')).toBe('string');
    expect(out(fmt('epoch_ms'), 'datetime')).toBe('integer');
    expect(out(fmt('epoch_s'), 'any')).toBe('integer');
    expect(out(fmt('yyyy'), 'integer')).toEqual({ error: 'formatDate expects date, datetime or string, got integer' });
  });
});

describe('parseDate', () => {
  const parse = (format: string, extra: Rec = {}): TransformSpec => ({ parseDate: { format, ...extra } });

  it('parses patterns to UTC timestamps or dates', () => {
    expect(run(parse('dd.MM.yyyy HH:mm:ss.SSS'), '15.01.2026 08:05:09.123')).toBe('2026-01-15T08:05:09.123Z');
    expect(run(parse('yyyyMMdd'), '20260115')).toBe('2026-01-15T00:00:00.000Z');
    expect(run(parse('yyyyMMdd', { to: 'date' }), '20260115')).toBe('2026-01-15');
    expect(run(parse("yyyy-MM-dd'T'HH:mmXXX"), '2026-01-15T08:05+05:30')).toBe('2026-01-15T02:35:00.000Z');
    expect(run(parse("yyyy-MM-dd'T'HH:mmXXX", { timeZone: BERLIN }), '2026-01-15T08:05Z')).toBe('2026-01-15T08:05:00.000Z');
    expect(run(parse('dd/MM/yyyy'), '29/02/2024')).toBe('2024-02-29T00:00:00.000Z');
    expect(run(parse('yyyy-MM-dd'), null)).toBeNull();
    expect(run(parse('yyyy-MM-dd'), undefined)).toBeUndefined();
  });

  it('parses iso and epoch formats', () => {
    expect(run(parse('iso'), '2026-01-15T09:05:09.1234567+01:00')).toBe('2026-01-15T08:05:09.123Z');
    expect(run(parse('iso'), '2026-01-15')).toBe('2026-01-15T00:00:00.000Z');
    expect(run(parse('iso', { timeZone: BERLIN }), '2026-01-15T09:05')).toBe('2026-01-15T08:05:00.000Z');
    expect(run(parse('iso'), '2026-01-15 09:05:09+0100')).toBe('2026-01-15T08:05:09.000Z');
    expect(run(parse('epoch_ms'), 1500)).toBe('1970-01-01T00:00:01.500Z');
    expect(run(parse('epoch_s'), '-1')).toBe('1969-12-31T23:59:59.000Z');
    expect(run(parse('epoch_s', { to: 'date', timeZone: 'Pacific/Kiritimati' }), Date.UTC(2026, 5, 30, 10) / 1000)).toBe('2026-07-01');
  });

  it('resolves the Europe/Berlin spring gap and autumn overlap with the earlier offset', () => {
    const berlin = parse('yyyy-MM-dd HH:mm', { timeZone: BERLIN });
    // 02:30 does not exist on 2026-03-29: read with the pre-transition offset +01:00 → 03:30 CEST.
    expect(run(berlin, '2026-03-29 02:30')).toBe('2026-03-29T01:30:00.000Z');
    expect(run(berlin, '2026-03-29 01:59')).toBe('2026-03-29T00:59:00.000Z');
    expect(run(berlin, '2026-03-29 03:00')).toBe('2026-03-29T01:00:00.000Z');
    // 02:30 happens twice on 2026-10-25: the first occurrence (CEST, +02:00) wins.
    expect(run(berlin, '2026-10-25 02:30')).toBe('2026-10-25T00:30:00.000Z');
    expect(run(berlin, '2026-10-25 01:59')).toBe('2026-10-24T23:59:00.000Z');
    expect(run(berlin, '2026-10-25 03:00')).toBe('2026-10-25T02:00:00.000Z');
    // An explicit offset settles the ambiguity.
    expect(run(parse('yyyy-MM-dd HH:mmXXX', { timeZone: BERLIN }), '2026-10-25 02:30+01:00')).toBe('2026-10-25T01:30:00.000Z');
    // Dates are calendar dates: no round trip through the zone.
    expect(run(parse('yyyy-MM-dd HH:mm', { timeZone: BERLIN, to: 'date' }), '2026-03-29 02:30')).toBe('2026-03-29');
  });

  it('handles date-line zones', () => {
    expect(run(parse('yyyy-MM-dd HH:mm', { timeZone: 'Pacific/Kiritimati' }), '2026-07-01 00:30')).toBe('2026-06-30T10:30:00.000Z');
    expect(run(parse('yyyy-MM-dd HH:mm', { timeZone: 'Pacific/Pago_Pago' }), '2026-06-29 23:30')).toBe('2026-06-30T10:30:00.000Z');
    // Kiritimati skipped 1994-12-31 entirely (−10:00 → +14:00): the gap rule moves it forward a day.
    expect(run(parse('yyyy-MM-dd HH:mm', { timeZone: 'Pacific/Kiritimati' }), '1994-12-31 12:00')).toBe('1994-12-31T22:00:00.000Z');
    expect(run(parse('iso', { timeZone: 'Pacific/Kiritimati', to: 'date' }), '2026-06-30T10:30:00Z')).toBe('2026-07-01');
    expect(run(parse('iso', { timeZone: 'Pacific/Pago_Pago', to: 'date' }), '2026-06-30T10:30:00Z')).toBe('2026-06-29');
  });

  it('refuses impossible dates and times, mismatches and wrong types', () => {
    const p = parse('yyyy-MM-dd HH:mm');
    refused(parse('yyyy-MM-dd'), '2026-02-30', 'parseDate: value is not a valid date');
    refused(parse('yyyy-MM-dd'), '2025-02-29', 'parseDate: value is not a valid date');
    refused(parse('yyyy-MM-dd'), '2026-13-01', 'parseDate: value is not a valid date');
    refused(parse('yyyy-MM-dd'), '0000-01-01', 'parseDate: value is not a valid date');
    refused(p, '2026-02-03 25:00', 'parseDate: value is not a valid time');
    refused(p, '2026-02-03 24:00', 'parseDate: value is not a valid time');
    refused(p, '2026-02-03 23:60', 'parseDate: value is not a valid time');
    refused(p, '2026-02-03', 'parseDate: value does not match the format');
    refused(p, '2026-02-03 10:00 ', 'parseDate: value does not match the format');
    refused(p, '', 'parseDate: value does not match the format');
    refused(p, 20260203, 'parseDate: value is not a string');
    refused(parse("yyyy-MM-dd'T'HH:mmXXX"), '2026-02-03T10:00+19:00', 'parseDate: value has an invalid offset');
    refused(parse('iso'), 'tomorrow', 'parseDate: value is not an ISO 8601 date or timestamp');
    refused(parse('epoch_ms'), 1.5, 'parseDate: value is not an integer');
    refused(parse('epoch_ms'), '12abc', 'parseDate: value is not an integer');
    refused(parse('epoch_ms'), 8.64e15, 'parseDate: value is out of the supported range (years 1 to 9999)');
    refused(parse('yyyy-MM-dd', { timeZone: BERLIN }), '0001-01-01', 'parseDate: value is out of the supported range (years 1 to 9999)');
  });

  it('declares its input and output types', () => {
    expect(out(parse('yyyy-MM-dd'), 'string')).toBe('datetime');
    expect(out(parse('yyyy-MM-dd', { to: 'date' }), 'any')).toBe('date');
    expect(out(parse('yyyy-MM-dd'), 'integer')).toEqual({ error: 'parseDate expects string, got integer' });
    expect(out(parse('epoch_s'), 'integer')).toBe('datetime');
    expect(out(parse('epoch_s'), 'decimal')).toEqual({ error: 'parseDate expects integer or string, got decimal' });
  });

  it('round-trips with formatDate through a DST zone', () => {
    const f = compile({ formatDate: { format: 'dd.MM.yyyy HH:mm:ss', timeZone: BERLIN } });
    const p = compile({ parseDate: { format: 'dd.MM.yyyy HH:mm:ss', timeZone: BERLIN } });
    for (const at of ['2026-03-29T00:59:59.000Z', '2026-03-29T01:00:00.000Z', '2026-10-25T00:59:59.000Z', '2026-07-01T12:00:00.000Z']) {
      expect(p.fn(f.fn(at, { record: {} }), { record: {} })).toBe(at);
    }
  });
});

describe('map', () => {
  const spec = { map: { values: { A: 'active', I: 'inactive', '1': 'one', true: 'yes' } } };

  it('maps by String(value), with or without fallback', () => {
    expect(run(spec, 'A')).toBe('active');
    expect(run(spec, 1)).toBe('one');
    expect(run(spec, true)).toBe('yes');
    expect(run(spec, null)).toBeNull();
    expect(run(spec, undefined)).toBeUndefined();
    expect(run({ map: { values: { X: 'x' }, fallback: 'other' } }, 'Y')).toBe('other');
    expect(run({ map: { values: { X: 'x' }, fallback: null } }, 'Y')).toBeNull();
    expect(run({ map: { values: { '': 'blank' } } }, '')).toBe('blank');
    expect(run({ map: { values: { gone: null } } }, 'gone')).toBeNull();
  });

  it('does not treat inherited keys as mapped', () => {
    refused(spec, 'constructor', 'map: value is not in the value map');
    refused(spec, '__proto__', 'map: value is not in the value map');
  });

  it('refuses unmapped values without quoting them', () => {
    refused(spec, 'SECRET-STATUS', 'map: value is not in the value map');
    refused(spec, 'a', 'map: value is not in the value map'); // case-sensitive
    refused(spec, { status: 'A' }, 'map: value is not a scalar');
  });

  it('infers the output type from the mapped values', () => {
    expect(out(spec, 'string')).toBe('string');
    expect(out({ map: { values: { a: 1, b: 2 } } }, 'string')).toBe('integer');
    expect(out({ map: { values: { a: 1, b: 2.5 } } }, 'string')).toBe('number');
    expect(out({ map: { values: { a: true, b: null }, fallback: false } }, 'string')).toBe('boolean');
    expect(out({ map: { values: { a: true, b: 'x' } } }, 'string')).toBe('any');
    expect(out(spec, 'date')).toEqual({ error: 'map expects string, decimal, integer, number or boolean, got date' });
  });

  it('exposes the value-map keys for enum gap checks', () => {
    expect(valueMapOf(spec)).toEqual({ keys: ['1', 'A', 'I', 'true'], hasFallback: false });
    expect(valueMapOf({ map: { values: { X: 'x' }, fallback: 'o' } })).toEqual({ keys: ['X'], hasFallback: true });
    expect(valueMapOf('trim')).toBeUndefined();
    expect(valueMapOf({ map: { values: {} } })).toBeUndefined();
    expect(valueMapOf({ decimal: { scale: 2 } })).toBeUndefined();
  });
});

describe('default', () => {
  it('replaces null, undefined and the empty string only', () => {
    const spec = { default: { value: 'n/a' } };
    expect(run(spec, null)).toBe('n/a');
    expect(run(spec, undefined)).toBe('n/a');
    expect(run(spec, '')).toBe('n/a');
    expect(run(spec, ' ')).toBe(' ');
    expect(run({ default: { value: 0 } }, 0)).toBe(0);
    expect(run({ default: { value: true } }, false)).toBe(false);
  });

  it('checks that the value fits the input type', () => {
    expect(out({ default: { value: 'x' } }, 'string')).toBe('string');
    expect(out({ default: { value: 'x' } }, 'any')).toBe('string');
    expect(out({ default: { value: 0 } }, 'integer')).toBe('integer');
    expect(out({ default: { value: 0 } }, 'number')).toBe('number');
    expect(out({ default: { value: '0.00' } }, 'decimal')).toBe('decimal');
    expect(out({ default: { value: '1970-01-01' } }, 'date')).toBe('date');
    expect(out({ default: { value: '1970-01-01T00:00:00Z' } }, 'datetime')).toBe('datetime');
    expect(out({ default: { value: 'zero' } }, 'decimal')).toEqual({ error: 'default value (string) does not fit decimal' });
    expect(out({ default: { value: 1.5 } }, 'integer')).toEqual({ error: 'default value (number) does not fit integer' });
    expect(out({ default: { value: '1970-02-30' } }, 'date')).toEqual({ error: 'default value (string) does not fit date' });
    expect(out({ default: { value: 'x' } }, 'object')).toEqual({
      error: 'default expects string, decimal, number, integer, boolean, date or datetime, got object',
    });
  });
});

describe('toBoolean', () => {
  it('recognises the default lists exactly', () => {
    for (const v of [true, 1, '1', 'true', 'yes', 'Y']) expect(run('toBoolean', v)).toBe(true);
    for (const v of [false, 0, '0', 'false', 'no', 'N']) expect(run('toBoolean', v)).toBe(false);
    expect(run('toBoolean', null)).toBeNull();
    expect(run('toBoolean', undefined)).toBeUndefined();
  });

  it('uses configured lists', () => {
    const spec = { toBoolean: { true: ['J', 'X'], false: ['', ' '] } };
    expect(run(spec, 'X')).toBe(true);
    expect(run(spec, ' ')).toBe(false);
    expect(run(spec, '')).toBe(false);
    // A configured list replaces its default list.
    refused(spec, 0, 'toBoolean: value is not a recognised boolean');
    refused(spec, 'Y', 'toBoolean: value is not a recognised boolean');
    expect(run({ toBoolean: { true: ['J'] } }, 'N')).toBe(false); // the other list keeps its default
  });

  it('refuses anything else, case-sensitively', () => {
    for (const v of ['TRUE', 'Yes', 'y', 2, 'maybe', '', {}]) refused('toBoolean', v, 'toBoolean: value is not a recognised boolean');
    expect(out('toBoolean', 'string')).toBe('boolean');
    expect(out('toBoolean', 'date')).toEqual({ error: 'toBoolean expects boolean, string, integer or number, got date' });
  });
});

describe('toString', () => {
  it('converts scalars, numbers without exponent', () => {
    expect(run('toString', 'x')).toBe('x');
    expect(run('toString', '')).toBe('');
    expect(run('toString', 1e21)).toBe('1000000000000000000000');
    expect(run('toString', 1.5e-7)).toBe('0.00000015');
    expect(run('toString', -0)).toBe('0');
    expect(run('toString', 42)).toBe('42');
    expect(run('toString', true)).toBe('true');
    expect(run('toString', 12345678901234567890n)).toBe('12345678901234567890');
  });

  it('refuses non-scalars and non-finite numbers', () => {
    refused('toString', { a: 1 }, 'toString: value is not a scalar');
    refused('toString', ['secret'], 'toString: value is not a scalar');
    refused('toString', Number.NaN, 'toString: value is not a finite number');
    expect(out('toString', 'integer')).toBe('string');
    expect(out('toString', 'array')).toEqual({
      error: 'toString expects string, decimal, number, integer, boolean, date or datetime, got array',
    });
  });
});

describe('custom', () => {
  const custom = new Map<string, CustomTransform>([
    ['phone', { fn: (v) => String(v).replace(/\s+/g, ''), input: ['string'], output: 'string' }],
    ['anything', { fn: (v, ctx) => `${String(v)}@${String(ctx.record['tenant'])}` }],
    ['leaky', { fn: (v) => { throw new Error(`bad value ${String(v)}`); } }],
    ['strict', { fn: () => { throw new TransformError('strict', 'value is not allowed'); } }],
  ]);

  it('runs registered functions with the record', () => {
    const phone = compile({ custom: { name: 'phone' } }, custom);
    expect(phone.name).toBe('custom:phone');
    expect(phone.fn('+49 221 123', { record: {} })).toBe('+49221123');
    expect(phone.fn(null, { record: {} })).toBeNull();
    expect(compile({ custom: { name: 'anything' } }, custom).fn('a', { record: { tenant: 't1' } })).toBe('a@t1');
  });

  it('declares host types, defaulting to any → any', () => {
    expect(compile({ custom: { name: 'phone' } }, custom).outputFor('string')).toBe('string');
    expect(compile({ custom: { name: 'phone' } }, custom).outputFor('integer')).toEqual({ error: 'custom:phone expects string, got integer' });
    expect(compile({ custom: { name: 'anything' } }, custom).outputFor('object')).toBe('any');
  });

  it('never lets a host error quote the value', () => {
    let caught: unknown;
    try {
      compile({ custom: { name: 'leaky' } }, custom).fn('SECRET-123', { record: {} });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TransformError);
    expect((caught as Error).message).toBe('custom:leaky: the custom transform failed');
    expect(() => compile({ custom: { name: 'strict' } }, custom).fn('x', { record: {} })).toThrow('strict: value is not allowed');
  });

  it('refuses unknown names', () => {
    expect(compileTransform({ custom: { name: 'nope' } }, custom)).toEqual({ error: "custom: unknown custom transform 'nope'" });
    expect(compileTransform({ custom: { name: 'phone', extra: 1 } }, custom)).toEqual({ error: "custom: unknown argument 'extra'" });
  });
});

describe('every transform', () => {
  const specs: Record<string, TransformSpec> = {
    trim: 'trim', upper: 'upper', lower: 'lower', split: { split: { separator: ',', index: 0 } },
    pad: { pad: { length: 2 } }, substring: { substring: { start: 0 } }, decimal: { decimal: { scale: 2 } },
    toNumber: 'toNumber', toDecimal: 'toDecimal', toMinorUnits: 'toMinorUnits', fromMinorUnits: 'fromMinorUnits',
    formatDate: { formatDate: { format: 'iso' } }, parseDate: { parseDate: { format: 'iso' } },
    map: { map: { values: { a: 'b' } } }, toBoolean: 'toBoolean', toString: 'toString',
  };

  it('passes null and undefined through (except default and concat) and accepts any', () => {
    for (const [name, spec] of Object.entries(specs)) {
      const c = compile(spec);
      expect(c.name).toBe(name);
      expect(c.fn(null, { record: {} }), name).toBeNull();
      expect(c.fn(undefined, { record: {} }), name).toBeUndefined();
      expect(typeof c.outputFor('any'), name).toBe('string');
    }
  });

  it('compiles specs into frozen, reusable transforms', () => {
    const c = compile({ decimal: { scale: 2 } });
    expect(Object.isFrozen(c)).toBe(true);
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) c.fn('1234.565', { record: {} });
    expect(performance.now() - started).toBeLessThan(500);
  });
});
