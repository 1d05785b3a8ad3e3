import type { OperationHandler } from '../context.js';
import { ENTITY_NAMES } from '../../../core/model/entities.js';
import { adminHandlers } from './admin.js';
import { authHandlers } from './auth.js';
import { opsHandlers } from './ops.js';
import { resourceHandlers, type Present } from './records.js';

/** Until the policy engine projects records per receiver, the API returns the stored record. */
const present: Present = (record) => ({ ...record });

export function allHandlers(): Record<string, OperationHandler> {
  const business = Object.assign({}, ...ENTITY_NAMES.map((kind) => resourceHandlers(kind, 'business', present))) as Record<string, OperationHandler>;
  return { ...business, ...adminHandlers(), ...authHandlers(), ...opsHandlers() };
}
