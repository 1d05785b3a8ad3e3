import { describe, expect, it } from 'vitest';
import { compareValues, decodeCursor, encodeCursor } from '../../connectors/sql/cursor.js';
import { decodeFeedCursor, encodeFeedCursor } from '../../connectors/sql/change-feed.js';
import { compareTimeText, isTimeText, moveBackText, wallText } from '../../connectors/sql/wall-clock.js';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('keyset cursor values', () => {
  it('carries a rowversion (Buffer) as hex, a Date as ISO, a bigint as digits and exact DATETIME2 text as is', () => {
    const rv = Buffer.from('00000000000007e3', 'hex');
    const c = { watermark: rv, tieBreaker: 12n, rescan: { watermark: '2026-01-02 03:04:05.1234567', tieBreaker: new Date('2026-01-02T03:04:05.678Z') }, caughtUp: true };
    const s = encodeCursor(c);
    expect(JSON.parse(Buffer.from(s, 'base64url').toString())).toEqual({
      v: 1,
      w: { x: '00000000000007e3' },
      t: { b: '12' },
      r: ['2026-01-02 03:04:05.1234567', { d: '2026-01-02T03:04:05.678Z' }],
      c: 1,
    });
    expect(decodeCursor(s)).toEqual(c);
  });

  it('marks a read from a point in time as inclusive', () => {
    const c = { watermark: new Date('2026-01-02T00:00:00Z'), tieBreaker: null, inclusive: true };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
  });

  it.each([
    ['odd hex', { v: 1, w: { x: 'abc' }, t: 1 }],
    ['not hex', { v: 1, w: { x: 'zz' }, t: 1 }],
    ['bad date', { v: 1, w: { d: 'soon' }, t: 1 }],
    ['bad bigint', { v: 1, w: { b: '1e5' }, t: 1 }],
    ['an object', { v: 1, w: { y: 1 }, t: 1 }],
    ['an array', [1]],
  ])('refuses %s', (_, json) => {
    expect(() => decodeCursor(b64(json))).toThrow(/not one this connector issued/);
  });

  it('orders rowversions as unsigned big-endian binary, and nulls first', () => {
    const a = Buffer.from('00000000000000ff', 'hex');
    const b = Buffer.from('0000000000000100', 'hex');
    expect(compareValues(a, b)).toBe(-1);
    expect(compareValues(b, a)).toBe(1);
    expect(compareValues(a, Buffer.from(a))).toBe(0);
    expect(compareValues(null, 0)).toBe(-1);
    expect(compareValues('12', '9')).toBe(1);
  });
});

describe('date/time text (the column’s own CONVERT … 121 reading)', () => {
  it('orders texts of one column whatever their digits', () => {
    expect(compareTimeText('2026-01-02 03:04:05.123', '2026-01-02 03:04:05.1230000')).toBe(0);
    expect(compareTimeText('2026-01-02 03:04:05.1234567', '2026-01-02 03:04:05.1234568')).toBe(-1);
    expect(compareTimeText('2026-01-02 03:04:05', '2026-01-02 03:04:04.9999999')).toBe(1);
    expect(compareTimeText('2026-01-02 03:04:05.123 +00:00', '2026-01-02 03:04:05.122 +00:00')).toBe(1);
  });

  it('moves back keeping the digits past the millisecond and the offset', () => {
    expect(moveBackText('2026-01-01 00:00:30.1234567', 60_000)).toBe('2025-12-31 23:59:30.1234567');
    expect(moveBackText('2026-01-02 03:04:05.677', 1)).toBe('2026-01-02 03:04:05.676');
    expect(moveBackText('2026-01-02 03:04:05', 1000)).toBe('2026-01-02 03:04:04');
    expect(moveBackText('2026-01-02 03:04:05.1230000 +00:00', 5000)).toBe('2026-01-02 03:04:00.1230000 +00:00');
    expect(moveBackText('0001-01-01 00:01:00.000', 60_000)).toBe('0001-01-01 00:00:00.000');
  });

  it('writes an instant as a zone’s wall clock', () => {
    expect(wallText(new Date('2026-07-01T12:00:00.007Z'), 'UTC')).toBe('2026-07-01 12:00:00.007');
    expect(wallText(new Date('2026-07-01T12:00:00.007Z'), 'Europe/Berlin')).toBe('2026-07-01 14:00:00.007');
    expect(wallText(new Date('2026-01-01T00:30:00Z'), 'America/New_York')).toBe('2025-12-31 19:30:00.000');
    expect(isTimeText('2026-07-01 14:00:00.007')).toBe(true);
    expect(isTimeText('2026-07-01T14:00:00Z')).toBe(false);
  });
});

describe('change feed cursor', () => {
  it('round-trips each phase', () => {
    for (const p of [
      { phase: 'load', since: null, after: null },
      { phase: 'load', since: 42n, after: ['A', 7] },
      { phase: 'changes', since: 42n, upto: null, after: null },
      { phase: 'changes', since: 42n, upto: 50n, after: { version: 44n, key: ['A', 7] } },
    ] as const) {
      expect(decodeFeedCursor(encodeFeedCursor(p))).toEqual(p);
    }
    expect(decodeFeedCursor(null)).toEqual({ phase: 'load', since: null, after: null });
  });

  it('refuses a keyset cursor and malformed versions', () => {
    expect(() => decodeFeedCursor(encodeCursor({ watermark: 1, tieBreaker: 1 }))).toThrow(/not one this connector issued/);
    expect(() => decodeFeedCursor(b64({ v: 1, f: 'changes', s: '-1' }))).toThrow(/not one this connector issued/);
    expect(() => decodeFeedCursor(b64({ v: 1, f: 'changes' }))).toThrow(/not one this connector issued/);
    expect(() => decodeFeedCursor(b64({ v: 1, f: 'load', a: [] }))).toThrow(/not one this connector issued/);
  });
});
