import { describe, expect, it } from 'vitest';
import { backoffMs, parseRetryAfter } from '../../connectors/http/client.js';

describe('backoffMs', () => {
  it('draws uniformly within an exponentially growing window (full jitter)', () => {
    const top = () => 0.999999;
    expect(backoffMs(1, { baseMs: 100, maxMs: 10_000, random: top })).toBe(99);
    expect(backoffMs(2, { baseMs: 100, maxMs: 10_000, random: top })).toBe(199);
    expect(backoffMs(4, { baseMs: 100, maxMs: 10_000, random: top })).toBe(799);
    expect(backoffMs(4, { baseMs: 100, maxMs: 10_000, random: () => 0.5 })).toBe(400);
    // Full jitter may wait nothing at all.
    expect(backoffMs(4, { baseMs: 100, maxMs: 10_000, random: () => 0 })).toBe(0);
  });

  it('caps the window at maxMs, even for huge attempt numbers', () => {
    expect(backoffMs(30, { baseMs: 100, maxMs: 5_000, random: () => 0.5 })).toBe(2_500);
    expect(backoffMs(5_000, { baseMs: 100, maxMs: 5_000, random: () => 0.999999 })).toBe(4_999);
  });

  it('never waits less than the Retry-After the server sent, even beyond maxMs', () => {
    expect(backoffMs(1, { baseMs: 100, maxMs: 10_000, retryAfterMs: 3_000, random: () => 0.5 })).toBe(3_000);
    expect(backoffMs(1, { baseMs: 100, maxMs: 1_000, retryAfterMs: 120_000, random: () => 0.5 })).toBe(120_000);
    // A longer jittered draw wins over a short Retry-After.
    expect(backoffMs(8, { baseMs: 100, maxMs: 60_000, retryAfterMs: 1_000, random: () => 0.5 })).toBe(6_400);
  });

  it('uses defaults of 1 s base and 60 s cap', () => {
    expect(backoffMs(1, { random: () => 0.5 })).toBe(500);
    expect(backoffMs(20, { random: () => 0.5 })).toBe(30_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });
  it('ignores a missing or unreadable value', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
