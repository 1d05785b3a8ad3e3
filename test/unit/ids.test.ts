import { afterEach, describe, expect, it, vi } from 'vitest';
import { createIdGenerator, newRecordId } from '../../core/model/ids.js';

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A deterministic byte source: the same bytes for every generator made with it. */
const seeded = () => {
  let n = 0;
  return (b: Buffer) => {
    for (let i = 0; i < b.length; i++) b[i] = (n++ * 131 + 17) & 0xff;
  };
};

describe('record ids', () => {
  afterEach(() => vi.useRealTimers());

  it('are RFC 9562 UUIDs (version 8, variant 10)', () => {
    for (let i = 0; i < 100; i++) expect(newRecordId()).toMatch(ID);
  });

  it('sort in the order this process made them and never repeat', () => {
    const ids = Array.from({ length: 20_000 }, () => newRecordId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('carry no clock: the same random bytes give the same ids at any time (createdAt may be a denied field)', () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2026, 0, 1));
    const early = createIdGenerator(seeded());
    const a = Array.from({ length: 5 }, () => early());
    vi.setSystemTime(Date.UTC(2031, 6, 15, 12, 30));
    const late = createIdGenerator(seeded());
    const b = Array.from({ length: 5 }, () => late());
    expect(b).toEqual(a);
  });

  it('spread their random bits, and each generator starts its sequence at a random point', () => {
    const tails = new Set(Array.from({ length: 1000 }, () => newRecordId().slice(19)));
    expect(tails.size).toBe(1000);
    const starts = new Set(Array.from({ length: 20 }, () => createIdGenerator()().slice(0, 13)));
    expect(starts.size).toBe(20);
  });
});
