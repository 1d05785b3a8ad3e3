import { TransformError } from './transform-types.js';

/**
 * Date helpers for the `formatDate` and `parseDate` transforms.
 *
 * - A `date` ("YYYY-MM-DD") is a calendar date and is never shifted between zones. Where an instant
 *   is needed (epoch formats, the XXX token), it is taken as local midnight in the zone.
 * - A datetime is an instant; it is shown in a zone through Intl.DateTimeFormat wall-clock parts.
 * - Wall-clock text without an offset is resolved in the zone with the offset in effect *before*
 *   any transition around it: in an overlap (autumn) that is the first occurrence, the earlier
 *   instant (Europe/Berlin 2026-10-25 02:30 → 00:30Z, CEST); in a gap (spring) the nonexistent time
 *   moves forward by the length of the gap (Europe/Berlin 2026-03-29 02:30 → 01:30Z = 03:30 CEST).
 *   This is the rule of java.time and Temporal's 'compatible' disambiguation.
 * - Supported years are 1 to 9999; milliseconds are the finest unit (extra digits are truncated).
 */

export type DateToken = 'yyyy' | 'MM' | 'dd' | 'HH' | 'mm' | 'ss' | 'SSS' | 'XXX';
type Segment = { readonly lit: string } | { readonly tok: DateToken };

export type DateFormat =
  | { readonly kind: 'iso' }
  | { readonly kind: 'epoch_ms' }
  | { readonly kind: 'epoch_s' }
  | { readonly kind: 'pattern'; readonly segments: readonly Segment[]; readonly regex: RegExp };

export interface Zone {
  readonly utc: boolean;
  readonly dtf: Intl.DateTimeFormat;
  readonly offsets: Map<number, number>;
}

interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
}

const TOKEN_PATTERNS: Readonly<Record<DateToken, string>> = {
  yyyy: '(\\d{4})',
  MM: '(\\d{2})',
  dd: '(\\d{2})',
  HH: '(\\d{2})',
  mm: '(\\d{2})',
  ss: '(\\d{2})',
  SSS: '(\\d{3})',
  XXX: '(Z|[+-]\\d{2}:\\d{2})',
};
const isToken = (text: string): text is DateToken => Object.hasOwn(TOKEN_PATTERNS, text);
const DAY_MS = 86_400_000;
const MAX_OFFSET_MS = 26 * 3_600_000;
const ISO_SEGMENTS: readonly Segment[] = [
  { tok: 'yyyy' }, { lit: '-' }, { tok: 'MM' }, { lit: '-' }, { tok: 'dd' }, { lit: 'T' }, { tok: 'HH' },
  { lit: ':' }, { tok: 'mm' }, { lit: ':' }, { tok: 'ss' }, { lit: '.' }, { tok: 'SSS' }, { tok: 'XXX' },
];
const ISO_TEXT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Compiles a format; returns an error reason (without the transform name) when it is invalid. */
export function compileDateFormat(format: string, parsing: boolean): DateFormat | { error: string } {
  if (format === 'iso') return { kind: 'iso' };
  if (format === 'epoch_ms') return { kind: 'epoch_ms' };
  if (format === 'epoch_s') return { kind: 'epoch_s' };
  const segments: Segment[] = [];
  let lit = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c === "'") {
      if (format[i + 1] === "'") {
        lit += "'";
        i += 2;
        continue;
      }
      let j = i + 1;
      for (;;) {
        if (j >= format.length) return { error: 'format has an unterminated quote' };
        if (format[j] === "'") {
          if (format[j + 1] !== "'") break;
          lit += "'";
          j += 2;
        } else {
          lit += format[j];
          j += 1;
        }
      }
      i = j + 1;
    } else if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (format[j] === c) j += 1;
      const run = format.slice(i, j);
      if (!isToken(run)) return { error: `format has an unknown token '${run}'` };
      if (lit) segments.push({ lit });
      lit = '';
      segments.push({ tok: run });
      i = j;
    } else {
      lit += c;
      i += 1;
    }
  }
  if (lit) segments.push({ lit });
  const tokens = segments.flatMap((s) => ('tok' in s ? [s.tok] : []));
  if (tokens.length === 0) return { error: 'format has no date or time tokens' };
  if (parsing) {
    const repeated = tokens.find((t, k) => tokens.indexOf(t) !== k);
    if (repeated) return { error: `format repeats the token '${repeated}'` };
    if (!tokens.includes('yyyy') || !tokens.includes('MM') || !tokens.includes('dd')) {
      return { error: 'format must contain yyyy, MM and dd' };
    }
  }
  const source = segments
    .map((s) => ('tok' in s ? TOKEN_PATTERNS[s.tok] : s.lit.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')))
    .join('');
  return { kind: 'pattern', segments, regex: new RegExp(`^${source}$`) };
}

const zones = new Map<string, Zone>();

/** The zone, or undefined when Intl does not know it. */
export function zoneOf(name: string): Zone | undefined {
  const known = zones.get(name);
  if (known) return known;
  let dtf: Intl.DateTimeFormat;
  try {
    dtf = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return undefined;
  }
  const resolved = dtf.resolvedOptions().timeZone;
  const zone: Zone = { utc: ['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT'].includes(resolved), dtf, offsets: new Map() };
  zones.set(name, zone);
  return zone;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const mod = (a: number, b: number): number => ((a % b) + b) % b;

function daysIn(y: number, mo: number): number {
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(mo) ? 30 : 31;
}

// Proleptic Gregorian calendar arithmetic (H. Hinnant's days_from_civil / civil_from_days): exact for
// every year the transforms accept, and far cheaper than building Date objects per value.
function daysFromCivil(y: number, mo: number, d: number): number {
  const yy = mo <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The wall clock (read as UTC) of epoch milliseconds. */
function wallOfUtc(epoch: number): Wall {
  const days = Math.floor(epoch / 86_400_000);
  let rest = epoch - days * 86_400_000;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const mo = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (mo <= 2 ? 1 : 0);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const mi = Math.floor(rest / 60_000);
  rest -= mi * 60_000;
  const sec = Math.floor(rest / 1000);
  return { y, mo, d, h, mi, s: sec, ms: rest - sec * 1000 };
}

/** Wall-clock fields read as if they were UTC, in epoch milliseconds. */
function utcOf(w: Wall): number {
  return daysFromCivil(w.y, w.mo, w.d) * 86_400_000 + w.h * 3_600_000 + w.mi * 60_000 + w.s * 1000 + w.ms;
}

const MIN_MS = utcOf({ y: 1, mo: 1, d: 1, h: 0, mi: 0, s: 0, ms: 0 });
const MAX_MS = utcOf({ y: 9999, mo: 12, d: 31, h: 23, mi: 59, s: 59, ms: 999 });

function inRange(epoch: number, transform: string): number {
  if (!(epoch >= MIN_MS && epoch <= MAX_MS)) {
    throw new TransformError(transform, 'value is out of the supported range (years 1 to 9999)');
  }
  return epoch;
}

/** Wall clock and UTC offset (ms) of an instant in a zone. */
function wallAt(zone: Zone, epoch: number, transform: string): { wall: Wall; offset: number } {
  const ms = mod(epoch, 1000);
  if (zone.utc) return { wall: wallOfUtc(epoch), offset: 0 };
  const seconds = epoch - ms;
  const bucket = Math.floor(seconds / 900_000);
  const cached = zone.offsets.get(bucket);
  if (cached !== undefined) return { wall: wallOfUtc(epoch + cached), offset: cached };
  const result = wallAtSlow(zone, seconds, ms, transform);
  // Cached only when the whole bucket has one offset (historic LMT transitions are not on quarter hours).
  if (wallAtSlow(zone, bucket * 900_000, 0, transform).offset === result.offset && wallAtSlow(zone, bucket * 900_000 + 899_000, 0, transform).offset === result.offset) {
    if (zone.offsets.size >= 100_000) zone.offsets.clear();
    zone.offsets.set(bucket, result.offset);
  }
  return result;
}

function wallAtSlow(zone: Zone, seconds: number, ms: number, transform: string): { wall: Wall; offset: number } {
  const wall: Wall = { y: 0, mo: 1, d: 1, h: 0, mi: 0, s: 0, ms: 0 };
  for (const part of zone.dtf.formatToParts(seconds)) {
    const n = Number(part.value);
    if (part.type === 'year') wall.y = n;
    else if (part.type === 'month') wall.mo = n;
    else if (part.type === 'day') wall.d = n;
    else if (part.type === 'hour') wall.h = n === 24 ? 0 : n;
    else if (part.type === 'minute') wall.mi = n;
    else if (part.type === 'second') wall.s = n;
  }
  const offset = utcOf(wall) - seconds;
  // Intl shows years before 1 CE without an era; that (and years past 9999) is out of range.
  if (Math.abs(offset) > MAX_OFFSET_MS || wall.y < 1 || wall.y > 9999) inRange(Number.NaN, transform);
  wall.ms = ms;
  return { wall, offset };
}

/** Resolves a wall-clock time (as-if-UTC ms) in a zone; see the module comment for gaps/overlaps. */
function localToEpoch(local: number, zone: Zone, transform: string): number {
  if (zone.utc) return local;
  // Probes a day either side (clamped so they stay in range near years 1 and 9999).
  const probe = (at: number): number => wallAt(zone, Math.min(Math.max(at, MIN_MS + DAY_MS), MAX_MS - DAY_MS), transform).offset;
  const before = probe(local - DAY_MS);
  const early = local - before;
  if (wallAt(zone, early, transform).offset === before) return early;
  const after = probe(local + DAY_MS);
  const late = local - after;
  if (wallAt(zone, late, transform).offset === after) return late;
  return early; // in a gap: shifted forward by the gap's length
}

function render(segments: readonly Segment[], w: Wall, offset: number): string {
  let out = '';
  for (const s of segments) {
    if ('lit' in s) out += s.lit;
    else if (s.tok === 'yyyy') out += pad(w.y, 4);
    else if (s.tok === 'MM') out += pad(w.mo, 2);
    else if (s.tok === 'dd') out += pad(w.d, 2);
    else if (s.tok === 'HH') out += pad(w.h, 2);
    else if (s.tok === 'mm') out += pad(w.mi, 2);
    else if (s.tok === 'ss') out += pad(w.s, 2);
    else if (s.tok === 'SSS') out += pad(w.ms, 3);
    else out += offsetText(offset);
  }
  return out;
}

function offsetText(offset: number): string {
  if (offset === 0) return 'Z';
  const total = Math.round(Math.abs(offset) / 1000);
  const seconds = total % 60;
  const text = `${offset < 0 ? '-' : '+'}${pad(Math.floor(total / 3600), 2)}:${pad(Math.floor(total / 60) % 60, 2)}`;
  return seconds ? `${text}:${pad(seconds, 2)}` : text;
}

/** "Z", "+01:00", "+0100" or "+01" → ms; undefined when out of range (beyond ±18:00). */
function parseOffset(text: string): number | undefined {
  if (text === 'Z') return 0;
  const digits = text.slice(1).replace(':', '');
  const h = Number(digits.slice(0, 2));
  const m = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (m > 59 || h * 60 + m > 18 * 60) return undefined;
  return (text.startsWith('-') ? -1 : 1) * (h * 60 + m) * 60_000;
}

function checkWall(w: Wall, transform: string): void {
  if (w.y < 1 || w.mo < 1 || w.mo > 12 || w.d < 1 || w.d > daysIn(w.y, w.mo)) {
    throw new TransformError(transform, 'value is not a valid date');
  }
  if (w.h > 23 || w.mi > 59 || w.s > 59) throw new TransformError(transform, 'value is not a valid time');
}

interface IsoParts {
  readonly wall: Wall;
  readonly hasTime: boolean;
  readonly offset: number | undefined;
}

function parseIso(text: string, transform: string, refusal: string): IsoParts {
  const m = text.length <= 40 ? ISO_TEXT.exec(text) : null;
  if (!m) throw new TransformError(transform, refusal);
  const num = (k: number): number => Number(m[k] ?? 0);
  const wall: Wall = { y: num(1), mo: num(2), d: num(3), h: num(4), mi: num(5), s: num(6), ms: Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3)) };
  checkWall(wall, transform);
  const offset = m[8] === undefined ? undefined : parseOffset(m[8]);
  if (m[8] !== undefined && offset === undefined) throw new TransformError(transform, 'value has an invalid offset');
  return { wall, hasTime: m[4] !== undefined, offset };
}

const dateText = (w: Wall): string => `${pad(w.y, 4)}-${pad(w.mo, 2)}-${pad(w.d, 2)}`;

/** A calendar date "YYYY-MM-DD" that exists. */
export function isDateText(text: string): boolean {
  try {
    return !parseIso(text, '', '').hasTime;
  } catch {
    return false;
  }
}

/** An ISO 8601 timestamp with an offset. */
export function isDatetimeText(text: string): boolean {
  try {
    const p = parseIso(text, '', '');
    return p.hasTime && p.offset !== undefined;
  } catch {
    return false;
  }
}

export function makeFormatter(format: DateFormat, zone: Zone): (value: unknown) => string | number {
  const name = 'formatDate';
  const needsOffset = format.kind !== 'pattern' || format.segments.some((s) => 'tok' in s && s.tok === 'XXX');
  return (value) => {
    let epoch: number;
    if (value instanceof Date) {
      epoch = inRange(value.getTime(), name);
    } else if (typeof value === 'string') {
      const p = parseIso(value, name, 'value is not an ISO 8601 date or timestamp');
      if (!p.hasTime) {
        // A calendar date: its fields are kept; an instant is only needed for epoch formats and XXX.
        if (format.kind === 'iso') return dateText(p.wall);
        if (format.kind === 'pattern' && !needsOffset) return render(format.segments, p.wall, 0);
        const local = utcOf(p.wall);
        const at = inRange(localToEpoch(local, zone, name), name);
        if (format.kind === 'epoch_ms') return at;
        if (format.kind === 'epoch_s') return Math.floor(at / 1000);
        return render(format.segments, p.wall, local - at);
      }
      if (p.offset === undefined) throw new TransformError(name, 'value is a timestamp without an offset');
      epoch = inRange(utcOf(p.wall) - p.offset, name);
    } else {
      throw new TransformError(name, 'value is not a date or timestamp');
    }
    if (format.kind === 'epoch_ms') return epoch;
    if (format.kind === 'epoch_s') return Math.floor(epoch / 1000);
    const { wall, offset } = wallAt(zone, epoch, name);
    return render(format.kind === 'iso' ? ISO_SEGMENTS : format.segments, wall, offset);
  };
}

function readEpoch(value: unknown, name: string): number {
  const n = typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new TransformError(name, 'value is not an integer');
  return n;
}

export function makeParser(format: DateFormat, zone: Zone, to: 'date' | 'datetime'): (value: unknown) => string {
  const name = 'parseDate';
  const output = (epoch: number): string =>
    to === 'datetime' ? new Date(inRange(epoch, name)).toISOString() : dateText(wallAt(zone, inRange(epoch, name), name).wall);
  return (value) => {
    if (format.kind === 'epoch_ms') return output(readEpoch(value, name));
    if (format.kind === 'epoch_s') return output(readEpoch(value, name) * 1000);
    if (typeof value !== 'string') throw new TransformError(name, 'value is not a string');
    let wall: Wall;
    let offset: number | undefined;
    if (format.kind === 'iso') {
      ({ wall, offset } = parseIso(value, name, 'value is not an ISO 8601 date or timestamp'));
    } else {
      const m = value.length <= 200 ? format.regex.exec(value) : null;
      if (!m) throw new TransformError(name, 'value does not match the format');
      wall = { y: 0, mo: 1, d: 1, h: 0, mi: 0, s: 0, ms: 0 };
      let k = 1;
      for (const s of format.segments) {
        if ('lit' in s) continue;
        const text = m[k++] ?? '';
        if (s.tok === 'XXX') {
          offset = parseOffset(text);
          if (offset === undefined) throw new TransformError(name, 'value has an invalid offset');
        } else {
          const key = ({ yyyy: 'y', MM: 'mo', dd: 'd', HH: 'h', mm: 'mi', ss: 's', SSS: 'ms' } as const)[s.tok];
          wall[key] = Number(text);
        }
      }
      checkWall(wall, name);
    }
    // Without an offset, a date result is the wall-clock date itself (no zone round trip).
    if (offset === undefined && to === 'date') return dateText(wall);
    const local = utcOf(wall);
    return output(offset === undefined ? localToEpoch(local, zone, name) : local - offset);
  };
}
