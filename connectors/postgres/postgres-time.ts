/**
 * PostgreSQL date/time values at their full precision (microseconds), which a JS Date (milliseconds)
 * cannot hold. The driver reads `timestamptz` and `timestamp` as text (see `pgTypes`) and turns them
 * into ISO 8601 strings of fixed width, so that a watermark read from a row binds back exactly and
 * compares as text in the order the database sorts the column:
 *
 * - `timestamptz` → the instant in UTC: `2026-01-31T09:15:00.123456Z`.
 * - `timestamp` (without time zone) → its wall-clock time, taken in the connector's `timeZone`, with
 *   that zone's offset: `2026-01-31T10:15:00.123456+01:00`. Bound back, PostgreSQL ignores the offset
 *   of a value for a `timestamp` column (docs 8.5.1.3: "silently ignore any time zone indication"), so
 *   the wall-clock time is what compares; its text order is the column's order (wall-clock order).
 *
 * A wall-clock time that a daylight-saving change makes ambiguous or nonexistent gets the offset
 * PostgreSQL itself gives it (docs B.2, and DetermineTimeZoneOffset): in a fall-back overlap the
 * offset after the transition (the later instant), in a spring-forward gap the offset before it.
 * Years 1–9999 only; other values (infinity, BC, 5-digit years) are left as PostgreSQL wrote them.
 */

const MS_PER_DAY = 86_400_000;
const US = 1000n;

/** An instant or a wall-clock time as microseconds since 1970-01-01 00:00 (the wall clock read as UTC). */
type Micros = bigint;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Epoch milliseconds of a UTC calendar time; years below 100 are not shifted to 19xx. */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const t = new Date(Date.UTC(2000, mo - 1, d, h, mi, s));
  t.setUTCFullYear(y, mo - 1, d);
  return t.getTime();
}

function floorMs(x: Micros): number {
  const q = x / US;
  return Number(x < 0n && q * US !== x ? q - 1n : q);
}

/** `YYYY-MM-DDTHH:MM:SS.ffffff` of a Micros value read as UTC. */
function calendarText(x: Micros): string {
  const ms = floorMs(x);
  const us = Number(x - BigInt(ms) * US);
  const t = new Date(ms);
  const fraction = pad(t.getUTCMilliseconds(), 3) + pad(us, 3);
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}.${fraction}`;
}

const inRange = (x: Micros) => {
  const y = new Date(floorMs(x)).getUTCFullYear();
  return y >= 1 && y <= 9999;
};

/** `±HH:MM` (and `:SS` where a historical offset has seconds). */
function offsetText(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const total = Math.abs(Math.round(offsetMs / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${sign}${pad(h)}:${pad(m)}${s ? `:${pad(s)}` : ''}`;
}

const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT', 'Etc/Universal', 'Universal', 'Zulu', 'Etc/Zulu']);
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's UTC offset at an instant (whole seconds), from the platform's time zone data. */
export function zoneOffsetMs(zone: string, epochMs: number): number {
  if (UTC_NAMES.has(zone)) return 0;
  let dtf = formatters.get(zone);
  if (!dtf) {
    const opts: Intl.DateTimeFormatOptions = { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' };
    dtf = new Intl.DateTimeFormat('en-US', opts);
    formatters.set(zone, dtf);
  }
  const p = Object.fromEntries(dtf.formatToParts(new Date(epochMs)).map((x) => [x.type, x.value])) as Record<string, string>;
  const wall = utcMs(Number(p['year']), Number(p['month']), Number(p['day']), Number(p['hour']), Number(p['minute']), Number(p['second']));
  return wall - Math.floor(epochMs / 1000) * 1000;
}

/** The offset PostgreSQL gives a wall-clock time in `zone` (after the change in an overlap, before it in a gap). */
function offsetForWall(zone: string, wallMs: number): number {
  const before = zoneOffsetMs(zone, wallMs - MS_PER_DAY);
  const after = zoneOffsetMs(zone, wallMs + MS_PER_DAY);
  if (before === after) return before;
  if (zoneOffsetMs(zone, wallMs - after) === after) return after;
  if (zoneOffsetMs(zone, wallMs - before) === before) return before;
  return before;
}

/** The instant `x` (Micros) as a wall-clock time in `zone` with its offset: `…T10:15:00.123456+01:00`. */
export function zonedText(x: Micros, zone: string): string {
  const offset = zoneOffsetMs(zone, floorMs(x));
  return calendarText(x + BigInt(offset) * US) + offsetText(offset);
}

/** The instant `x` in UTC: `…T09:15:00.123456Z`. */
export function utcText(x: Micros): string {
  return `${calendarText(x)}Z`;
}

/** A wall-clock time (Micros read as UTC) in `zone`, with the offset PostgreSQL gives it. */
function wallText(wall: Micros, zone: string): string {
  return calendarText(wall) + offsetText(offsetForWall(zone, floorMs(wall)));
}

const PG_TEXT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::(\d{2}))?(?::(\d{2}))?)?$/;
const ISO_TEXT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:\s*(Z|z|([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?))?$/;

interface Parsed {
  /** The written calendar time, read as UTC. */
  readonly wall: Micros;
  /** The written offset in ms; undefined when none was written. */
  readonly offsetMs: number | undefined;
}

function fractionMicros(digits: string | undefined): bigint {
  if (!digits) return 0n;
  // Rounded to microseconds, as PostgreSQL stores them.
  const scaled = Number(`0.${digits}`) * 1e6;
  return BigInt(Math.round(scaled));
}

function parse(m: RegExpExecArray, sign: string | undefined, oh: string | undefined, om: string | undefined, os: string | undefined, zulu: boolean): Parsed | undefined {
  const [y, mo, d, h, mi] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const s = Number(m[6] ?? 0);
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 24 || mi! > 59 || s > 60 || y! < 1) return undefined;
  const wall = BigInt(utcMs(y!, mo!, d!, h!, mi!, s)) * US + fractionMicros(m[7]);
  const offsetMs = zulu ? 0 : sign ? (sign === '-' ? -1 : 1) * ((Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0)) * 1000) : undefined;
  return { wall, offsetMs };
}

/** PostgreSQL's ISO output of a timestamptz (`2026-01-31 10:15:00.123456+01`) → UTC text; anything else unchanged. */
export function timestamptzFromPg(text: string): string {
  const m = PG_TEXT.exec(text);
  const p = m && parse(m, m[8], m[9], m[10], m[11], false);
  if (!p || p.offsetMs === undefined) return text;
  const x = p.wall - BigInt(p.offsetMs) * US;
  return inRange(x) ? utcText(x) : text;
}

/** PostgreSQL's ISO output of a timestamp (`2026-01-31 10:15:00.123456`) → wall-clock text with `zone`'s offset. */
export function timestampFromPg(text: string, zone: string): string {
  const m = PG_TEXT.exec(text);
  const p = m && !m[8] ? parse(m, undefined, undefined, undefined, undefined, false) : undefined;
  return p && inRange(p.wall) ? wallText(p.wall, zone) : text;
}

/** ISO 8601 text; `offsetMs` undefined when it carries no offset. */
function parseIso(text: string): Parsed | undefined {
  const m = text.length <= 64 ? ISO_TEXT.exec(text) : null;
  return m ? parse(m, m[9], m[10], m[11], m[12], m[8] === 'Z' || m[8] === 'z') : undefined;
}

/** The instant an ISO 8601 text with an offset names, in Micros; undefined for anything else. */
export function instantOf(text: string): Micros | undefined {
  const p = parseIso(text);
  return p && p.offsetMs !== undefined ? p.wall - BigInt(p.offsetMs) * US : undefined;
}

/** A Date bound as a parameter: its wall-clock time in `zone` with the offset, right for both timestamp types. */
export function dateParam(d: Date, zone: string): string {
  return zonedText(BigInt(d.getTime()) * US, zone).replace('T', ' ');
}

/**
 * For a `timestamp` (without time zone) column: an ISO instant (with an offset) written as the
 * wall-clock time in `zone`, which PostgreSQL stores as it is; undefined when `text` is not one.
 */
export function wallClockFor(text: string, zone: string): string | undefined {
  const x = instantOf(text);
  if (x === undefined || !inRange(x)) return undefined;
  return zonedText(x, zone).slice(0, 26).replace('T', ' ');
}

const UTC_FORM = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const ZONED_FORM = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}:\d{2}(?::\d{2})?$/;

/** Which of the two forms above a watermark is in. */
export function formOf(value: unknown): 'utc' | 'zoned' | undefined {
  if (typeof value !== 'string') return undefined;
  return UTC_FORM.test(value) ? 'utc' : ZONED_FORM.test(value) ? 'zoned' : undefined;
}

/** A UTC-form instant in the zoned form (for a `timestamp` column read in `zone`). */
export function toZoned(utc: string, zone: string): string {
  const x = instantOf(utc);
  if (x === undefined) throw new TypeError('not an instant');
  return zonedText(x, zone);
}

/**
 * The watermark `overlapMs` earlier, in the same form: a UTC instant moves back on the time line; a
 * wall-clock time moves back on the wall clock (as the column's values do); an int8 read as a
 * numeric string moves back by the number. Undefined for anything else.
 */
export function moveBackText(value: unknown, overlapMs: number, zone: string): string | undefined {
  const form = formOf(value);
  const back = BigInt(Math.round(overlapMs)) * US;
  if (form === 'utc') return utcText(instantOf(value as string)! - back);
  if (form === 'zoned') return wallText(parseIso(value as string)!.wall - back, zone);
  if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) return (BigInt(value) - BigInt(Math.round(overlapMs))).toString();
  return undefined;
}
