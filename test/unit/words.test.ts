import { describe, expect, it } from 'vitest';
import { nounOf, withArticle } from '../../core/model/words.js';

describe('record kinds in words', () => {
  it('names a kind as a noun and picks its article by sound', () => {
    expect(nounOf('inventory')).toBe('inventory level');
    expect(['order', 'inventory', 'customer', 'user', 'receivable', 'team'].map((k) => withArticle(nounOf(k as Parameters<typeof nounOf>[0])))).toEqual([
      'an order', 'an inventory level', 'a customer', 'a user', 'a receivable', 'a team',
    ]);
    expect(['api key', 'update', 'unit', 'email', 'uri'].map(withArticle)).toEqual(['an api key', 'an update', 'a unit', 'an email', 'a uri']);
  });
});
