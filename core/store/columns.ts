/** Column value conversions the repositories share (SQLite and MariaDB answer the same shapes through them). */

/** A JSON column's text; undefined stays NULL. */
export const toJsonColumn = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/** A JSON column's value; NULL reads as null. */
export const fromJsonColumn = (v: unknown): unknown => (v === null || v === undefined ? null : (JSON.parse(String(v)) as unknown));

/** A nullable text column. */
export const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
