// Writes docs/config.schema.json (JSON Schema of hub.config.yaml) from the one zod schema.
import { writeFileSync } from 'node:fs';
import { configSchemaJson } from '../hub/config/json-schema.js';

writeFileSync('docs/config.schema.json', configSchemaJson());
process.stdout.write('wrote docs/config.schema.json\n');
