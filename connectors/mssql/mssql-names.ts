import { InvalidIdentifierError } from '../sql/dialect.js';

/**
 * SQL Server names: any characters a delimited identifier takes (spaces, non-ASCII letters, dots and
 * brackets included), at most 128 (sysname is nvarchar(128)), quoted in brackets with `]` doubled.
 * A table may be schema-qualified: `sales.Customers`, `[sales].[Order Lines]`; a part holding a dot or
 * a bracket is written in brackets (`[odd.name]`, `[a]]b]`). Refused: empty names, more than 128
 * characters, control characters, leading or trailing spaces, and more than two parts (a table of
 * another database or server).
 */

const CONTROL = /[\u0000-\u001f\u007f]/;

function checkPart(part: string, whole: string): string {
  const refuse = (why: string) => new InvalidIdentifierError(whole, why);
  if (part.length === 0) throw refuse('a name part is empty');
  if (part.length > 128) throw refuse('a name part is longer than 128 characters');
  if (CONTROL.test(part)) throw refuse('control characters are not allowed');
  if (part.trim() !== part) throw refuse('leading or trailing spaces are not allowed');
  return part;
}

/** The parts of a name: bare parts split at dots, bracketed parts taken whole (`]]` is `]`). */
export function nameParts(text: string): string[] {
  const parts: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '[') {
      let part = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new InvalidIdentifierError(text, 'a [ is not closed');
        if (text[i] === ']') {
          if (text[i + 1] === ']') {
            part += ']';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += text[i++];
      }
      parts.push(checkPart(part, text));
    } else {
      const end = text.indexOf('.', i);
      const part = end < 0 ? text.slice(i) : text.slice(i, end);
      if (/[[\]]/.test(part)) throw new InvalidIdentifierError(text, 'write a name part holding [ or ] in brackets, with ] doubled: [a]]b]');
      parts.push(checkPart(part, text));
      i = end < 0 ? text.length : end;
    }
    if (i >= text.length) return parts;
    if (text[i] !== '.') throw new InvalidIdentifierError(text, 'expected a dot after a bracketed name part');
    i++;
  }
}

const bracket = (part: string) => `[${part.replace(/]/g, ']]')}]`;

/** A column name, bracketed; a name written fully in brackets (`[Order Id]`) is taken without them. */
export function quoteColumn(name: string): string {
  if (name.startsWith('[')) {
    const parts = nameParts(name);
    if (parts.length !== 1) throw new InvalidIdentifierError(name, 'a column name has one part');
    return bracket(parts[0]!);
  }
  return bracket(checkPart(name, name));
}

/** A table name, `[schema].[table]` or `[table]`. */
export function quoteTable(name: string): string {
  const parts = nameParts(name);
  if (parts.length > 2) throw new InvalidIdentifierError(name, 'use table or schema.table (a table of another database is not supported)');
  return parts.map(bracket).join('.');
}

/** Why SQL Server would not take `name` as a table (`schema.table`) or column name, or undefined. */
export function mssqlNameProblem(name: string, kind: 'table' | 'column'): string | undefined {
  try {
    if (kind === 'table') quoteTable(name);
    else quoteColumn(name);
    return undefined;
  } catch (e) {
    return e instanceof InvalidIdentifierError ? e.message.replace(/^Invalid SQL identifier "(?:[^"\\]|\\.)*": /, '') : 'is not a valid name';
  }
}
