import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { describe, expect, it } from 'vitest';
import { configSchemaJson } from '../../hub/config/json-schema.js';
import { ENTITIES, ENTITY_NAMES } from '../../core/model/entities.js';
import { loadSpec, SPEC_PATH } from '../../openapi/app/spec.js';
import { allHandlers } from '../../openapi/app/handlers/index.js';

const run = promisify(execFile);

describe('the OpenAPI spec is the one source of wire types', () => {
  it('the committed generated types match the spec (run `npm run gen:api` after changing it)', async () => {
    const ast = await openapiTS(new URL(`file://${SPEC_PATH}`));
    const fresh = astToString(ast);
    const committed = readFileSync(new URL('../../openapi/generated/api-types.ts', import.meta.url), 'utf8');
    // The CLI adds a banner; compare the declarations.
    const body = (text: string) => text.replace(/^\/\*\*[\s\S]*?\*\/\s*/, '').trim();
    expect(body(committed)).toBe(body(fresh));
  });

  it('lints clean with @redocly/cli', async () => {
    const { stdout, stderr } = await run('npx', ['--no-install', 'redocly', 'lint', '--format', 'json', SPEC_PATH], { maxBuffer: 16 * 1024 * 1024 });
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { totals: { errors: number; warnings: number } };
    expect(report.totals, stderr).toEqual(expect.objectContaining({ errors: 0, warnings: 0 }));
  }, 60_000);

  it('every operation has a handler, and every handler an operation', () => {
    const ops = loadSpec().operations.map((o) => o.operationId).sort();
    expect(Object.keys(allHandlers()).sort()).toEqual(ops);
  });

  it('documents exactly the sort fields the store indexes', () => {
    const doc = loadSpec().document as { paths: Record<string, { get?: { description?: string } }> };
    for (const kind of [...ENTITY_NAMES, 'user', 'team'] as const) {
      const def = ENTITIES[kind];
      const description = doc.paths[`/api/v1/${def.plural}`]?.get?.description ?? '';
      const documented = [...description.matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]).filter((f) => f !== 'sort');
      expect(new Set(documented), kind).toEqual(new Set([...def.sortable, 'createdAt', 'updatedAt']));
    }
  });

  it('the published configuration JSON Schema is current (run `npm run gen:config-schema`)', () => {
    const committed = readFileSync(new URL('../../docs/config.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(configSchemaJson());
  });
});
