/**
 * A CSV writer for exports (reports today, the finance feed later). The contract:
 *
 * - RFC 4180: one header row, then one record per row; fields separated by `,`, records ended by
 *   CRLF (the last one too); a field that holds `,`, `"`, CR or LF is enclosed in double quotes and
 *   each `"` inside it doubled. Other fields are written as they are.
 * - UTF-8 text; no byte order mark unless asked for (`bom: true`, for spreadsheets that guess the
 *   encoding otherwise). The HTTP media type is {@link CSV_MEDIA_TYPE}.
 * - Every column has a kind, and the kind decides what a cell may hold:
 *   - `number`: a decimal string or a finite number (`-25.00`, `3`), written as it is. A negative
 *     amount is data, not a formula, so it is never altered; anything else is a TypeError (a value
 *     that is not a number must not slip past the formula guard as one).
 *   - `date`: a calendar date `YYYY-MM-DD`, written as it is; anything else is a TypeError.
 *   - `text`: any string. A cell a spreadsheet would read as a formula — one starting with `=`, `+`,
 *     `-`, `@`, TAB or CR (OWASP's list for CSV injection) — gets a leading `'`, which spreadsheets
 *     show as text and do not evaluate. So a customer named `=HYPERLINK(…)` or `-Sale-` reads back
 *     as `'=HYPERLINK(…)` / `'-Sale-`; a consumer that parses CSV for data strips one leading `'`
 *     from text cells that start with `'` followed by one of those characters.
 * - `null` and `undefined` are an empty field, in every kind.
 *
 * Streaming: `csvLines` yields the header and then one line per row, so an export of any length
 * holds one row at a time; `toCsv` joins them for a body that fits in memory.
 */

/** The media type of what this module writes. */
export const CSV_MEDIA_TYPE = 'text/csv; charset=utf-8; header=present';

export type CsvKind = 'text' | 'number' | 'date';

export interface CsvColumn<T> {
  /** The header cell (written as text). */
  readonly header: string;
  readonly kind: CsvKind;
  readonly value: (row: T) => string | number | null | undefined;
}

const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Characters that make a spreadsheet read a cell as a formula when they open it. */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One field as RFC 4180 writes it: quoted (with `"` doubled) when it holds `,`, `"`, CR or LF. */
export function csvField(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The text of one cell of `kind`, guarded and checked as the contract above says (before quoting). */
export function csvCell(kind: CsvKind, value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  switch (kind) {
    case 'number': {
      const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
      if (!NUMBER.test(text)) throw new TypeError('a number cell must hold a decimal number');
      return text;
    }
    case 'date':
      if (typeof value !== 'string' || !DATE.test(value)) throw new TypeError('a date cell must hold a date YYYY-MM-DD');
      return value;
    case 'text': {
      const text = String(value);
      return FORMULA_START.test(text) ? `'${text}` : text;
    }
  }
}

/** One record line (with its CRLF) of cells of the given kinds. */
export function csvRow(cells: readonly (readonly [CsvKind, string | number | null | undefined])[]): string {
  return cells.map(([kind, value]) => csvField(csvCell(kind, value))).join(',') + '\r\n';
}

/** The header line, then one line per row (each ending in CRLF). */
export function* csvLines<T>(columns: readonly CsvColumn<T>[], rows: Iterable<T>): Generator<string> {
  yield csvRow(columns.map((c) => ['text', c.header] as const));
  for (const row of rows) yield csvRow(columns.map((c) => [c.kind, c.value(row)] as const));
}

/** A whole CSV document (header row first), optionally with a UTF-8 byte order mark. */
export function toCsv<T>(columns: readonly CsvColumn<T>[], rows: Iterable<T>, options: { bom?: boolean } = {}): string {
  let out = options.bom ? '\uFEFF' : '';
  for (const line of csvLines(columns, rows)) out += line;
  return out;
}
