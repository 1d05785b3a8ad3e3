import { NotFoundError } from '../../../core/errors.js';
import { effectivePolicy } from '../../../core/policy/matrix.js';
import type { OperationHandler } from '../context.js';

/** The effective policy matrix of one receiver, for admins. */
export function policyHandlers(): Record<string, OperationHandler> {
  return {
    getEffectivePolicy: {
      access: 'admin',
      audit: { action: 'policy.read', entity: null },
      async handle(ctx, deps) {
        const receiver = String(ctx.query['receiver']);
        if (!deps.policy.receivers().includes(receiver)) throw new NotFoundError('The policy has no such receiver');
        return { status: 200, body: effectivePolicy(deps.policy, deps.catalog, receiver) };
      },
    },
  };
}
