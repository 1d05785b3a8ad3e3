import { describe, expect, it } from 'vitest';
import { run, refused, out } from './transform-helpers.js';

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
