import { describe, expect, it } from 'vitest';
import { flagSet } from '../../connectors/contract.js';
import { foreignErrorSummary } from '../../core/errors.js';
import { retryDelay } from '../../queues/delivery.js';
import { contentHash, stableStringify, withoutNulls } from '../../core/hash.js';

describe('content hashes', () => {
  it('do not depend on key order, and tell different content apart', () => {
    expect(stableStringify({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
    expect(contentHash({ a: 1, b: '2' })).toBe(contentHash({ b: '2', a: 1 }));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: '1' }));
    expect(contentHash({ a: 1, b: undefined })).toBe(contentHash({ a: 1 }));
    expect(contentHash({ a: null })).not.toBe(contentHash({}));
    expect(contentHash(withoutNulls({ a: null, b: { c: null, d: 1 } }))).toBe(contentHash({ b: { d: 1 } }));
  });
});

describe('retry delays', () => {
  it('grow exponentially with jitter between half and all of the cap, never past the maximum, never under Retry-After', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      for (let i = 0; i < 50; i++) {
        const cap = Math.min(60_000, 500 * 2 ** attempt);
        const d = retryDelay(attempt, 500, 60_000);
        expect(d).toBeGreaterThanOrEqual(Math.floor(cap / 2));
        expect(d).toBeLessThanOrEqual(cap);
      }
    }
    expect(retryDelay(0, 500, 60_000, 30_000)).toBeGreaterThanOrEqual(30_000);
    expect(retryDelay(100, 500, 60_000)).toBeLessThanOrEqual(60_000);
  });
});

describe('foreignErrorSummary (what logs and dead letters say of errors the hub did not make)', () => {
  it('keeps the class name and a symbolic driver code, never the message or a code that is not symbolic', () => {
    const busy = Object.assign(new Error("cannot write 'secret-value'"), { name: 'SqliteError', code: 'SQLITE_BUSY_SNAPSHOT' });
    expect(foreignErrorSummary(busy)).toEqual({ name: 'SqliteError', code: 'SQLITE_BUSY_SNAPSHOT' });
    const odd = Object.assign(new Error('x'), { code: "value 'secret-value' too long" });
    expect(foreignErrorSummary(odd)).toEqual({ name: 'Error' });
    expect(JSON.stringify(foreignErrorSummary(busy))).not.toContain('secret');
    expect(foreignErrorSummary('a thrown string')).toEqual({ name: 'Error' });
  });
});

describe('deleted flags', () => {
  it('read booleans, numbers, text and MySQL BIT(1) buffers; anything else is not set', () => {
    for (const v of [true, 1, 1n, '1', ' TRUE ', 'y', 'yes', Buffer.from([1])]) expect(flagSet(v)).toBe(true);
    for (const v of [false, 0, 0n, '0', 'false', 'n', '', null, undefined, Buffer.from([0]), 2, {}]) expect(flagSet(v)).toBe(false);
  });
});
