import { HubError } from '../../core/errors.js';

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

/** The media ranges of an `Accept` header (RFC 9110 §12.5.1); a range that does not parse is left out. */
export function parseAccept(header: string): MediaRange[] {
  const out: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [range = '', ...params] = part.split(';').map((p) => p.trim());
    // `*` alone is what some clients send for `*/*`.
    const [type, subtype] = range === '*' ? ['*', '*'] : range.toLowerCase().split('/');
    if (!type || !subtype || !/^[a-z0-9!#$&^_.+*-]+$/.test(type) || !/^[a-z0-9!#$&^_.+*-]+$/.test(subtype) || (type === '*' && subtype !== '*')) continue;
    let q = 1;
    for (const p of params) {
      const m = /^q\s*=\s*([01](?:\.\d{0,3})?)$/i.exec(p);
      if (m) q = Math.min(1, Number(m[1]));
    }
    out.push({ type, subtype, q });
  }
  return out;
}

/** The q an Accept gives `mediaType`: that of its most specific matching range (exact, then `type/*`, then `*\/*`); 0 when none matches. */
function quality(ranges: readonly MediaRange[], mediaType: string): number {
  const [type, subtype] = mediaType.toLowerCase().split('/');
  let best: { specificity: number; q: number } | undefined;
  for (const r of ranges) {
    const specificity = r.type === type && r.subtype === subtype ? 2 : r.type === type && r.subtype === '*' ? 1 : r.type === '*' ? 0 : -1;
    if (specificity < 0) continue;
    if (!best || specificity > best.specificity || (specificity === best.specificity && r.q > best.q)) best = { specificity, q: r.q };
  }
  return best?.q ?? 0;
}

/**
 * The media type to answer in: of `offered` (the default first), the one the request's `Accept`
 * rates highest (on a tie, the earlier); the default without an `Accept`. A 406 naming the offered
 * types when `Accept` allows none of them.
 */
export function negotiate(accept: string | undefined, offered: readonly string[]): string {
  const fallback = offered[0];
  if (fallback === undefined) throw new Error('an operation that negotiates offers a media type');
  if (accept === undefined || accept.trim() === '') return fallback;
  const ranges = parseAccept(accept);
  let chosen: { type: string; q: number } | undefined;
  for (const type of offered) {
    const q = quality(ranges, type);
    if (q > 0 && (!chosen || q > chosen.q)) chosen = { type, q };
  }
  if (!chosen) {
    const list = offered.join(' or ');
    throw new HubError('not_acceptable', 406, `This operation answers in ${list}`, [{ pointer: '/header/Accept', detail: `must accept ${list}` }]);
  }
  return chosen.type;
}
