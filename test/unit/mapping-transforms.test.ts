import { describe, expect, it } from 'vitest';
import { TRANSFORM_NAMES, TransformError, VALUE_TYPES, compileTransform, valueMapOf, type CustomTransform, type TransformSpec } from '../../mappings/engine/transforms.js';
import { compile, run, specError, refused, out } from './transform-helpers.js';

describe('spec compilation', () => {
  it('lists the built-in transforms', () => {
    expect([...TRANSFORM_NAMES].sort()).toEqual(
      ['add', 'concat', 'custom', 'decimal', 'default', 'formatDate', 'fromMinorUnits', 'lower', 'map', 'pad', 'parseDate',
        'replace', 'split', 'substring', 'subtract', 'toBoolean', 'toDecimal', 'toMinorUnits', 'toNumber', 'toString', 'trim', 'upper'].sort(),
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
