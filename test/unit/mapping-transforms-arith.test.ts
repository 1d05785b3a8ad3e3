import { describe, expect, it } from 'vitest';
import { compile, out, refused, run, specError } from './transform-helpers.js';

/**
 * `subtract` / `add` with another field of the record, decimal-exact, and `replace`. What a finance
 * mapping relies on: an ERP's total minus what is still open is what was paid, to the cent, for
 * amounts binary floats cannot hold, for credit notes and overpayments alike.
 */

describe('subtract and add with a field operand', () => {
  const paid = { subtract: { field: 'outstanding_amount' } };

  it('subtracts exactly, from JSON numbers and decimal strings, keeping the sign', () => {
    expect(run(paid, 1190.5, { outstanding_amount: 500 })).toBe('690.5');
    // 0.3 − 0.1 is 0.19999999999999998 in binary floats.
    expect(run(paid, 0.3, { outstanding_amount: 0.1 })).toBe('0.2');
    expect(run(paid, '1000000000000000.10', { outstanding_amount: '0.01' })).toBe('1000000000000000.09');
    // A credit note (both negative), an overpayment (outstanding negative), nothing paid.
    expect(run(paid, -80, { outstanding_amount: -80 })).toBe('0');
    expect(run(paid, -80, { outstanding_amount: 0 })).toBe('-80');
    expect(run(paid, 100, { outstanding_amount: -20 })).toBe('120');
    expect(run({ add: { field: 'tax' } }, '19.99', { tax: '3.80' })).toBe('23.79');
  });

  it('reads a nested operand and passes a null value through', () => {
    expect(run({ subtract: { field: 'totals.open' } }, '10', { totals: { open: '2.5' } })).toBe('7.5');
    expect(run(paid, null, { outstanding_amount: 1 })).toBeNull();
    expect(run(paid, undefined, {})).toBeUndefined();
  });

  it('refuses a missing or non-numeric operand and a non-numeric value, naming the field, never the value', () => {
    refused(paid, '100.00', "subtract: field 'outstanding_amount' has no value", {});
    refused(paid, '100.00', "subtract: field 'outstanding_amount' has no value", { outstanding_amount: null });
    refused(paid, '100.00', "subtract: field 'outstanding_amount' is not a decimal number", { outstanding_amount: '12abc34' });
    refused(paid, '1e5', 'subtract: value is not a decimal number', { outstanding_amount: 1 });
    refused({ add: { field: 'x' } }, 'lots', 'add: value is not a decimal number', { x: 1 });
  });

  it('checks its arguments when the file loads, and says what it reads and gives', () => {
    expect(specError('subtract')).toBe('subtract: field is required');
    expect(specError({ subtract: { field: '' } })).toBe('subtract: field must be a field path');
    expect(specError({ add: { field: 'a', value: 1 } })).toBe("add: unknown argument 'value'");
    expect(compile(paid).reads).toEqual(['outstanding_amount']);
    expect(out(paid, 'number')).toBe('decimal');
    expect(out(paid, 'decimal')).toBe('decimal');
    expect(out(paid, 'date')).toEqual({ error: 'subtract expects decimal, number, integer or string, got date' });
  });
});

describe('replace', () => {
  it('replaces every occurrence of a literal text (no patterns)', () => {
    expect(run({ replace: { search: ' - ', with: '-' } }, 'Finished Goods - WP')).toBe('Finished Goods-WP');
    expect(run({ replace: { search: ' ', with: '_' } }, 'Work In Progress')).toBe('Work_In_Progress');
    expect(run({ replace: { search: '.*' } }, 'a.*b.*')).toBe('ab');
    expect(run({ replace: { search: 'x', with: 'y' } }, null)).toBeNull();
  });

  it('checks its arguments', () => {
    expect(specError('replace')).toBe('replace: search is required');
    expect(specError({ replace: { search: '' } })).toBe('replace: search must be a non-empty string');
    expect(specError({ replace: { search: 'a', with: 1 } })).toBe('replace: with must be a string');
  });
});
