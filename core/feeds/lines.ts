/**
 * The lines of a feed file: CSV (RFC 4180) and JSON Lines. Pure functions over one row at a time,
 * so a writer streams any number of rows.
 *
 * CSV: fields separated by commas, records ended by CRLF, a field quoted (with its quotes doubled)
 * when it holds a comma, a quote, CR or LF; the first line names the columns. UTF-8 without a byte
 * order mark. A text cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`,
 * `@`, a tab or CR) is written with a leading apostrophe (OWASP's advice for CSV injection), unless
 * the whole cell is a plain number: `-12.50` stays a number.
 */

/** A cell: text, a whole number (days past due), or nothing (an empty field; `null` in JSON). */
export type Cell = string | number | null;

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/** A text value as a spreadsheet will read it safely: a would-be formula gets a leading `'`. */
export function guardFormula(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** One CSV field: guarded against formulas, quoted when it must be. */
export function csvField(cell: Cell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return String(cell);
  const text = guardFormula(cell);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record, with its CRLF. */
export function csvLine(cells: readonly Cell[]): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) line += (i === 0 ? '' : ',') + csvField(cells[i] ?? null);
  return line + '\r\n';
}

/** The header record: the column names (names are the hub's own, never a formula). */
export function csvHeader(columns: readonly string[]): string {
  return csvLine(columns);
}

/**
 * One JSON Lines record: an object of the columns in order, with its `\n`. Values are written as
 * they are (money stays a decimal string; no spreadsheet guard: JSON is read by programs).
 */
export function jsonLine(columns: readonly string[], cells: readonly Cell[]): string {
  let line = '{';
  for (let i = 0; i < columns.length; i++) line += (i === 0 ? '' : ',') + JSON.stringify(columns[i]) + ':' + JSON.stringify(cells[i] ?? null);
  return line + '}\n';
}

/**
 * Splits CSV text into records of fields (RFC 4180: quoted fields may hold commas, quotes and line
 * breaks). For tests and `hub feed verify`; the feed writer never reads CSV.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
