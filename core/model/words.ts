import { ENTITIES, type RecordKind } from './entities.js';

/** A record kind in words: `inventory level` for `inventory`, `order` for `order`. */
export function nounOf(kind: RecordKind): string {
  return ENTITIES[kind].typeName.replace(/(?<=[a-z])(?=[A-Z])/g, ' ').toLowerCase();
}

/**
 * A noun with its indefinite article, by sound: `an order`, `an inventory level`, `a customer`,
 * `a user` (a `u` read as "you" takes `a`).
 */
export function withArticle(noun: string): string {
  return `${/^(?:[aeio]|u(?!s|n[iu]|r[aeiou]))/i.test(noun) ? 'an' : 'a'} ${noun}`;
}
