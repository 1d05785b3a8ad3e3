import type { OperationHandler } from '../context.js';
import { ENTITY_NAMES } from '../../../core/model/entities.js';
import { adminHandlers } from './admin.js';
import { authHandlers } from './auth.js';
import { feedHandlers } from './feeds.js';
import { opsHandlers } from './ops.js';
import { mappingHandlers } from './mappings.js';
import { policyHandlers } from './policies.js';
import { resourceHandlers } from './records.js';
import { reportHandlers } from './reports.js';
import { syncHandlers } from './sync.js';

export function allHandlers(): Record<string, OperationHandler> {
  const business = Object.assign({}, ...ENTITY_NAMES.map((kind) => resourceHandlers(kind, 'authenticated'))) as Record<string, OperationHandler>;
  return { ...business, ...adminHandlers(), ...authHandlers(), ...opsHandlers(), ...policyHandlers(), ...mappingHandlers(), ...syncHandlers(), ...reportHandlers(), ...feedHandlers() };
}
