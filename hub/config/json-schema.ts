import { z } from 'zod';
import { configFileSchema } from './schema.js';

/** JSON Schema of `hub.config.yaml`, for editor completion (published as docs/config.schema.json). */
export function configSchemaJson(): string {
  const schema = z.toJSONSchema(configFileSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return JSON.stringify({ $id: 'https://erp-crm-hub.dev/schemas/hub.config.json', title: 'hub.config.yaml', ...schema }, null, 2) + '\n';
}
