import { NotFoundError } from '../../../core/errors.js';
import type { JsonObject } from '../../../core/model/entities.js';
import { previewMapping } from '../../../mappings/engine/preview.js';
import type { OperationHandler } from '../context.js';
import { typedHandlers } from '../typed.js';

/** The loaded mappings and their preview, for admins. */
export function mappingHandlers(): Record<string, OperationHandler> {
  return typedHandlers({
    listMappings: {
      access: 'admin',
      async handle(_ctx, deps) {
        return {
          status: 200,
          body: { items: deps.mappings.list().map((m) => ({ name: m.name, connector: m.connector, entity: m.entity, direction: m.direction, externalEntity: m.externalEntity, target: m.target })) },
        };
      },
    },
    previewMapping: {
      access: 'admin',
      audit: { action: 'mapping.preview', entity: null },
      async handle(ctx, deps) {
        const mapping = deps.mappings.get(String(ctx.params['id']));
        if (!mapping) throw new NotFoundError('No mapping with that name');
        const body = ctx.body as { recordId?: string; record?: JsonObject };
        if (ctx.audit) Object.assign(ctx.audit, { entity: mapping.entity, recordIds: body.recordId ? [body.recordId] : [] });
        const result = await previewMapping(mapping, body, deps);
        return { status: 200, body: result };
      },
    },
  });
}
