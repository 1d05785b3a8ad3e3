import { describe, expect, it } from 'vitest';
import { csvCell, csvField, csvLines, toCsv, type CsvColumn } from '../../core/finance/csv.js';
import { csvRecords, parseCsv } from '../fixtures/csv.js';

describe('CSV writer (RFC 4180)', () => {
  it('quotes exactly the fields holding a comma, a quote, CR or LF, doubling quotes', () => {
    expect(csvField('plain text')).toBe('plain text');
    expect(csvField('Müller, Söhne')).toBe('"Müller, Söhne"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField('line\nfeed')).toBe('"line\nfeed"');
    expect(csvField('')).toBe('');
  });

  it('writes a header row and CRLF after every record, and reads back to the same values', () => {
    type Row = { name: string; amount: string; due: string | null };
    const columns: CsvColumn<Row>[] = [
      { header: 'name', kind: 'text', value: (r) => r.name },
      { header: 'amount', kind: 'number', value: (r) => r.amount },
      { header: 'due', kind: 'date', value: (r) => r.due },
    ];
    const rows: Row[] = [
      { name: 'Müller "Maschinenbau", GmbH', amount: '1234.50', due: '2026-12-31' },
      { name: 'Credit\r\nnote', amount: '-25.00', due: null },
      { name: 'Zürich AG', amount: '0', due: '2026-01-01' },
    ];
    const text = toCsv(columns, rows);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.split('\r\n')[0]).toBe('name,amount,due');
    expect(csvRecords(text)).toEqual([
      { name: 'Müller "Maschinenbau", GmbH', amount: '1234.50', due: '2026-12-31' },
      { name: 'Credit\r\nnote', amount: '-25.00', due: '' },
      { name: 'Zürich AG', amount: '0', due: '2026-01-01' },
    ]);
    expect([...csvLines(columns, rows)]).toHaveLength(4);
    expect(Buffer.from(toCsv(columns, rows, { bom: true })).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(Buffer.from(text)[0]).toBe(0x6e); // no BOM unless asked for
  });

  it('guards text cells a spreadsheet would run as a formula, and leaves numbers (negative ones too) alone', () => {
    for (const formula of ['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', '\tTAB', '\rCR']) {
      expect(csvCell('text', formula), formula).toBe(`'${formula}`);
    }
    expect(csvCell('text', 'Anna Keller')).toBe('Anna Keller');
    expect(csvCell('text', "'quoted already")).toBe("'quoted already");
    expect(csvCell('number', '-1234.56')).toBe('-1234.56');
    expect(csvCell('number', -3)).toBe('-3');
    expect(csvCell('date', '2026-12-03')).toBe('2026-12-03');
    const line = toCsv([{ header: 'label', kind: 'text', value: (r: string) => r }], ['=1+2, "x"']);
    expect(parseCsv(line)).toEqual([['label'], ["'=1+2, \"x\""]]);
  });

  it('refuses a number or date cell that holds anything else, so nothing passes the guard as a number', () => {
    for (const bad of ['=1+2', '1e5', '1,5', ' 1', '-', 'NaN', '+1']) expect(() => csvCell('number', bad), bad).toThrow(TypeError);
    expect(() => csvCell('number', Number.NaN)).toThrow(TypeError);
    for (const bad of ['=TODAY()', '3.12.2026', '2026-1-1']) expect(() => csvCell('date', bad), bad).toThrow(TypeError);
    expect(csvCell('number', null)).toBe('');
    expect(csvCell('date', undefined)).toBe('');
  });

  it('the test reader refuses what RFC 4180 does not allow (so the export tests check the form)', () => {
    expect(() => parseCsv('a,b\nc,d\r\n')).toThrow(/bare LF/);
    expect(() => parseCsv('a,b')).toThrow(/CRLF/);
    expect(() => parseCsv('a"b\r\n')).toThrow(/quote inside/);
    expect(() => parseCsv('"ab\r\n')).toThrow(/unterminated/);
  });
});
