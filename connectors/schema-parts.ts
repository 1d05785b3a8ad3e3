import { z } from 'zod';

/**
 * Pieces of connector configuration schemas that several connector modules share (names of
 * environment variables, SQL identifiers, URLs, time zones), and `exact`, which turns a parsed
 * configuration into the exact options the connector factories take.
 */

export const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be the name of an environment variable (letters, digits, _)');
export const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be a plain SQL identifier (letters, digits, _; at most 128)');
export const entityName = z.string().min(1).max(128);
export const path = z.string().regex(/^\/[^\s]*$/, 'must be a path starting with /');
export const fieldName = z.string().min(1).max(128);
export const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
export const timeoutMs = z.number().int().min(1).max(600_000);

/** An IANA time zone this Node knows (Europe/Berlin, UTC …). */
export const timeZoneName = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'must be an IANA time zone such as Europe/Berlin or UTC' },
);

/** The parsed config with optional-but-absent keys really absent (the connector options are exact). */
export type Exact<T> = T extends readonly (infer U)[] ? Exact<U>[] : T extends object ? { [K in keyof T]: Exact<Exclude<T[K], undefined>> } : T;

export function exact<T>(value: T): Exact<T> {
  if (Array.isArray(value)) return value.map((v: unknown) => exact(v)) as Exact<T>;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, exact(v)])) as Exact<T>;
  }
  return value as Exact<T>;
}

/** Re-read window of a modified-value watermark (the HTTP connectors'; the SQL connectors state their own). */
export const httpOverlapMs = z.number().int().min(0).max(7 * 86_400_000).optional().describe("Re-read window for rows committed late with an older modified value (as the SQL connectors' overlapMs); default 0");
