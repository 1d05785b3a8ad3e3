import { describe, expect, expectTypeOf, it } from 'vitest';
import { authHandlers } from '../../openapi/app/handlers/auth.js';
import { typedHandlers, type RequestBody, type Schema, type TypedResult } from '../../openapi/app/typed.js';

/**
 * The generated API types are used, not only generated: handlers typed by them fail to compile when
 * they drift from openapi.yaml. These checks run in `npm run typecheck` (part of `npm test`): each
 * `@ts-expect-error` below must be an error, or the typecheck fails.
 */
describe('handlers are typed by the spec', () => {
  it('request and response bodies come from the generated types', () => {
    expectTypeOf<RequestBody<'login'>>().toEqualTypeOf<Schema<'LoginRequest'>>();
    expectTypeOf<RequestBody<'getMe'>>().toEqualTypeOf<undefined>();
    expectTypeOf<Extract<TypedResult<'getMe'>, { status: 200 }>['body']>().toEqualTypeOf<Schema<'Principal'>>();
    // An answer documented in JSON and CSV is either the JSON body or text with its media type.
    expectTypeOf<Exclude<TypedResult<'getReceivablesAging'>, { contentType: string }>['body']>().toEqualTypeOf<Schema<'ReceivablesAging'>>();
    expectTypeOf<Extract<TypedResult<'getReceivablesAging'>, { contentType: string }>['body']>().toEqualTypeOf<string>();
  });

  it('a handler answering a status or a body its operation does not document does not compile', () => {
    const handlers = typedHandlers({
      // @ts-expect-error getMe answers 200 with a Principal, not with { id } alone
      getMe: { access: 'authenticated', handle: async () => ({ status: 200, body: { id: 'x' } }) },
      // @ts-expect-error logout answers 204 without a body, never 200
      logout: { access: 'authenticated', handle: async () => ({ status: 200 }) },
      // @ts-expect-error a login body has no `user` (it is `username`)
      login: { access: 'public', handle: async (ctx) => ({ status: 200, body: { token: ctx.body.user, expiresAt: '' } }) },
    });
    expect(Object.keys(handlers)).toEqual(['getMe', 'logout', 'login']);
    expect(Object.keys(authHandlers())).toEqual(['login', 'createSession', 'deleteSession', 'logout', 'getMyPermissions', 'getMe']);
  });
});
