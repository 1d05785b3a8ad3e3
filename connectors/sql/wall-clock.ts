/**
 * Date/time watermarks kept as the column's own text (the `text` watermark kind): SQL Server's
 * `CONVERT(varchar, column, 121)` answers `yyyy-mm-dd hh:mi:ss[.fffffff]` with as many fractional
 * digits as the column keeps (DATETIME2(7): 7, DATETIME: 3), and DATETIMEOFFSET read at +00:00 adds
 * ` +00:00`. The text goes back into SQL through `CONVERT(<column type>, @p, 121)`, so no digit is lost
 * and the comparison is the column's own. Values of one column compare as text once their fractions
 * are padded to the same length.
 */

const TIME_TEXT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?( [+-]\d{2}:\d{2})?$/;

export const isTimeText = (v: unknown): v is string => typeof v === 'string' && TIME_TEXT.test(v);

interface Parts {
  /** Milliseconds since the epoch of the wall-clock reading taken as UTC. */
  readonly ms: number;
  /** Fractional digits past the millisecond ('' when 3 or fewer). */
  readonly subMs: string;
  /** How many fractional digits the text had. */
  readonly digits: number;
  readonly suffix: string;
}

function partsOf(text: string): Parts {
  const m = TIME_TEXT.exec(text);
  if (!m) throw new TypeError('not a date/time text');
  const fraction = m[7] ?? '';
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), Number(fraction.padEnd(3, '0').slice(0, 3)));
  // Date.UTC maps years 0–99 to 1900–1999; SQL Server dates start at year 1.
  const fixed = Number(m[1]) < 100 ? new Date(ms).setUTCFullYear(Number(m[1])) : ms;
  return { ms: fixed, subMs: fraction.slice(3), digits: fraction.length, suffix: m[8] ?? '' };
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

function textOf(ms: number, subMs: string, digits: number, suffix: string): string {
  const d = new Date(ms);
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  if (digits === 0) return `${base}${suffix}`;
  const fraction = `${pad(d.getUTCMilliseconds(), 3)}${subMs}`.padEnd(digits, '0').slice(0, digits);
  return `${base}.${fraction}${suffix}`;
}

/** Orders two texts of one column (fractions padded to 7 digits). */
export function compareTimeText(a: string, b: string): number {
  const norm = (t: string) => {
    const p = partsOf(t);
    return `${textOf(p.ms, p.subMs, 7, '')}`;
  };
  const x = norm(a);
  const y = norm(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    if (formatters.size < 100) formatters.set(zone, f);
  }
  return f;
}

/** The wall-clock reading of `instant` in `zone`, as milliseconds of that reading taken as UTC. */
function wallMs(instant: number, zone: string): number {
  const parts = Object.fromEntries(formatterFor(zone).formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  const utc = Date.UTC(Number(parts['year']), Number(parts['month']) - 1, Number(parts['day']), Number(parts['hour']), Number(parts['minute']), Number(parts['second']), new Date(instant).getUTCMilliseconds());
  return utc;
}

/** `instant` as the text a DATETIME / DATETIME2 column holding local time in `zone` would show (3 digits). */
export function wallText(instant: Date, zone: string): string {
  return textOf(wallMs(instant.getTime(), zone), '', 3, '');
}

/** The earliest instant whose wall-clock reading in `zone` is `ms` (the first of a repeated hour). */
function instantOfWall(ms: number, zone: string): number {
  let guess = ms;
  for (let i = 0; i < 3; i++) guess = ms - (wallMs(guess, zone) - guess);
  // In a repeated hour two instants read the same; take the earlier one.
  const earlier = guess - 3_600_000;
  return wallMs(earlier, zone) === ms ? earlier : guess;
}

/**
 * `text` moved back by `ms` milliseconds, keeping its digits and suffix. The column's clock reading
 * is what the database compares, so the arithmetic is on that reading; where the column holds local
 * time in a zone (`zone` other than UTC) the reading `ms` earlier in real time is taken too, and the
 * earlier of the two wins, so a daylight-saving change never shortens the window.
 */
export function moveBackText(text: string, ms: number, zone = 'UTC'): string {
  const p = partsOf(text);
  let back = p.ms - ms;
  if (p.suffix === '' && zone !== 'UTC') back = Math.min(back, wallMs(instantOfWall(p.ms, zone) - ms, zone));
  return textOf(back, p.subMs, p.digits, p.suffix);
}
