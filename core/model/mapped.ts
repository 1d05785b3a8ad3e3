declare const mapped: unique symbol;

/**
 * What an outbound mapping made of a projected record: the only thing the hub hands a connector to
 * write. Only an outbound mapping's `map` (which accepts only a `Projected` record) makes these, so a
 * record that skipped the policy cannot reach a connector without a visible cast.
 */
export type MappedPayload = Readonly<Record<string, unknown>> & { readonly [mapped]: true };

/**
 * The same mapped payload with some of its values written differently for the target's column type
 * (PostgreSQL: an instant as the wall-clock time a `timestamp` column holds). Only fields the payload
 * already has can be rewritten, so nothing the mapping did not put there can be added.
 */
export function reencoded(payload: MappedPayload, values: Readonly<Record<string, unknown>>): MappedPayload {
  for (const key of Object.keys(values)) {
    if (!Object.prototype.hasOwnProperty.call(payload, key)) throw new Error(`reencoded: ${key} is not a field of the mapped payload`);
  }
  return { ...payload, ...values } as MappedPayload;
}
