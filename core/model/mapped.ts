declare const mapped: unique symbol;

/**
 * What an outbound mapping made of a projected record: the only thing the hub hands a connector to
 * write. Only an outbound mapping's `map` (which accepts only a `Projected` record) makes these, so a
 * record that skipped the policy cannot reach a connector without a visible cast.
 */
export type MappedPayload = Readonly<Record<string, unknown>> & { readonly [mapped]: true };
