import type { components, operations } from '../generated/api-types.js';
import type { AppDeps, OperationHandler, RequestContext } from './context.js';

/**
 * Handlers typed by the spec: `openapi/generated/api-types.ts` (from `npm run gen:api`) gives the
 * body each operation takes and the body of each of its answers, so the compiler checks a handler
 * against openapi.yaml — a renamed property or a missing field is a type error, not a 500 from
 * response validation in a test.
 */
export type OperationId = keyof operations;

/** A schema of the spec as a TypeScript type, e.g. `Schema<'ApiKey'>`. */
export type Schema<N extends keyof components['schemas']> = components['schemas'][N];

type JsonBody<T> = T extends { content: { 'application/json': infer B } } ? B : undefined;

/** The JSON body the operation takes (undefined when it takes none). */
export type RequestBody<O extends OperationId> = JsonBody<operations[O]['requestBody']>;

type Responses<O extends OperationId> = operations[O]['responses'];

/** An answer in a media type other than JSON (text: metrics, CSV), with the Content-Type to send. */
type TextAnswer = { readonly body: string; readonly contentType: string };

/**
 * A refusal (problem+json) is thrown as a HubError, never returned. An answer documented in JSON
 * and in other media types (negotiated by `Accept`) is either: the JSON body, or text with its type.
 */
type Answer<R> = R extends { content: { 'application/problem+json': unknown } }
  ? never
  : R extends { content: infer C }
    ? C extends { 'application/json': infer B }
      ? { readonly body: B } | (Exclude<keyof C, 'application/json'> extends never ? never : TextAnswer)
      : TextAnswer
    : { readonly body?: undefined };

/** What a handler of `O` may return: one of the operation's documented answers, with its body. */
export type TypedResult<O extends OperationId> = {
  [S in keyof Responses<O>]: { readonly status: S; readonly headers?: Record<string, string | readonly string[]> } & Answer<Responses<O>[S]>;
}[keyof Responses<O>];

export type TypedContext<O extends OperationId> = Omit<RequestContext, 'body'> & { readonly body: RequestBody<O> };

export interface TypedHandler<O extends OperationId> extends Omit<OperationHandler, 'handle'> {
  readonly handle: (ctx: TypedContext<O>, deps: AppDeps) => Promise<TypedResult<O>>;
}

/**
 * Handlers keyed by operationId, each typed by its operation. The router has validated the body
 * against the same schema before the handler runs, which is what makes `ctx.body` that type.
 */
export function typedHandlers(handlers: { readonly [O in OperationId]?: TypedHandler<O> }): Record<string, OperationHandler> {
  return handlers as unknown as Record<string, OperationHandler>;
}
