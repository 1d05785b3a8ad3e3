import { describe, expect, it } from 'vitest';
import { uuidv7, uuidv7Time } from '../../core/model/ids.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7 record ids', () => {
  it('are RFC 9562 version 7 UUIDs carrying the millisecond they were made', () => {
    const at = Date.UTC(2026, 10, 30, 12, 0, 0, 123);
    const id = uuidv7(at + 10_000_000); // later than any id made so far in this file
    expect(id).toMatch(V7);
    expect(uuidv7Time(id)).toBe(at + 10_000_000);
    expect(uuidv7Time('3b241101-e2bb-4255-8caf-4136c566a962')).toBeNull(); // v4
  });

  it('sort in the order they were made, within one millisecond too, and never repeat', () => {
    const ms = Date.UTC(2027, 0, 1);
    const ids = Array.from({ length: 10_000 }, () => uuidv7(ms));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    // 10,000 ids in one millisecond overflow the 12-bit counter: the later ones borrow the next milliseconds.
    expect(uuidv7Time(ids[0]!)).toBe(ms);
    expect(uuidv7Time(ids.at(-1)!)).toBeGreaterThan(ms);
  });

  it('keep sorting after ids made earlier when the clock steps back', () => {
    const first = uuidv7(Date.UTC(2028, 0, 1));
    const afterStepBack = uuidv7(Date.UTC(2027, 11, 31));
    expect(afterStepBack > first).toBe(true);
    expect(uuidv7Time(afterStepBack)).toBe(Date.UTC(2028, 0, 1));
  });

  it('spread their random bits', () => {
    const ms = Date.UTC(2029, 0, 1);
    const tails = new Set(Array.from({ length: 1000 }, () => uuidv7(ms).slice(19)));
    expect(tails.size).toBe(1000);
  });
});
