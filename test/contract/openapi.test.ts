import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import fc from 'fast-check';
import openapiTS, { astToString } from 'openapi-typescript';
import { describe, expect, it } from 'vitest';
import { COUNTRY_CODES, CURRENCY_CODES } from '../../core/model/iso-codes.js';
import { expandable } from '../../openapi/app/handlers/expand.js';
import { sortableFields } from '../../openapi/app/handlers/records.js';
import { ifMatchVersion } from '../../openapi/app/http-utils.js';
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

  describe('what the spec allows is what the hub accepts', () => {
    const spec = loadSpec();
    const schemas = (spec.document['components'] as { schemas: Record<string, { enum?: string[]; pattern?: string }> }).schemas;
    const param = (operationId: string, name: string) => spec.operations.find((o) => o.operationId === operationId)?.parameters.find((p) => p.name === name);

    it('each list sorts by exactly the fields the hub sorts by, ascending or descending', () => {
      for (const kind of [...ENTITY_NAMES, 'user', 'team'] as const) {
        const schema = param(`list${ENTITIES[kind].typeName === 'InventoryLevel' ? 'InventoryLevels' : `${ENTITIES[kind].typeName}s`}`, 'sort')?.schema as { enum?: string[] } | undefined;
        expect(new Set(schema?.enum), kind).toEqual(new Set(sortableFields(kind).flatMap((f) => [f, `-${f}`])));
      }
    });

    it('each list and read expands exactly the relations the hub follows, and no other operation takes expand', () => {
      for (const op of spec.operations) {
        const match = /^(list|get)([A-Za-z]+?)s?$/.exec(op.operationId);
        const kind = ENTITY_NAMES.find((e) => match && ENTITIES[e].typeName === match[2]);
        const expected = kind && !op.path.endsWith('/lineage') ? expandable(kind) : [];
        const schema = op.parameters.find((p) => p.name === 'expand')?.schema as { items?: { enum?: string[] }; maxItems?: number } | undefined;
        expect(schema?.items?.enum ?? [], op.operationId).toEqual(expected);
        if (schema) expect(schema.maxItems, op.operationId).toBe(expected.length);
      }
    });

    it('currency and country codes are the lists the model checks', () => {
      expect(schemas['CurrencyCode']?.enum).toEqual(CURRENCY_CODES);
      expect(schemas['CountryCode']?.enum).toEqual(COUNTRY_CODES);
    });

    it('If-Match: the spec\'s pattern accepts exactly the headers the hub parses', () => {
      const pattern = new RegExp(schemas['EntityTagList']?.pattern ?? '', 'u');
      const alphabet = fc.constantFrom(' ', '\t', '"', '"', ',', 'W', '/', '*', '3', 'a', '!', '#', '\x7f', '\x80', '\xa0', '\xff');
      // As Node hands a header over: without the optional whitespace around it.
      const header = fc.array(alphabet, { minLength: 1, maxLength: 14 }).map((cs) => cs.join('').replace(/^[ \t]+|[ \t]+$/g, '')).filter((h) => h !== '');
      fc.assert(
        fc.property(header, (h) => {
          let parses = true;
          try {
            ifMatchVersion(h);
          } catch {
            parses = false;
          }
          expect(pattern.test(h), JSON.stringify(h)).toBe(parses);
        }),
        { numRuns: 3000, examples: [['"3"'], ['*'], ['"1", W/"x"'], ['"1",'], ['W/"1" ,"2"'], ['"1",,"2"'], ['"1"\xa0'], ['**']] },
      );
    });

    it('email: one rule, the spec\'s pattern, which refuses an address at a bare host as the hub always did', async () => {
      const email = schemas['Email'] as { pattern?: string; format?: string };
      // `format: email` means RFC 5321 to one validator and a dotted domain to another: not a rule.
      expect(email.format).toBeUndefined();
      const pattern = new RegExp(email.pattern ?? '', 'u');
      expect(['user@host', 'a..b@example.com', '"quoted"@example.com', 'name@[192.0.2.1]'].filter((e) => pattern.test(e))).toEqual([]);
      expect(['name@example.com', "o'neil+crm@mail.example.co.uk", 'A.B@EXAMPLE.DE'].every((e) => pattern.test(e))).toBe(true);
      // The same addresses as the ajv-formats rule the hub applied before the pattern replaced it.
      const { fullFormats } = (await import('ajv-formats/dist/formats.js')) as unknown as { fullFormats: { email: RegExp } };
      const part = fc.array(fc.constantFrom('a', 'Z', '0', '.', '-', '@', '+', "'", '_', 'ü', ' ', '"'), { minLength: 1, maxLength: 12 }).map((cs) => cs.join(''));
      fc.assert(
        fc.property(part, part, (local, domain) => {
          expect(pattern.test(`${local}@${domain}`), `${local}@${domain}`).toBe(fullFormats.email.test(`${local}@${domain}`));
        }),
        { numRuns: 3000 },
      );
    });

    it('no two paths overlap: no literal segment of one path is a value another path\'s parameter accepts', () => {
      const templates = spec.operations.flatMap((op) => [op.path, ...op.formerPaths].map((path) => ({ op, path, segments: path.split('/') })));
      const accepts = (op: (typeof spec.operations)[number], segment: string, literal: string): boolean => {
        const name = /^\{(.+)\}$/.exec(segment)?.[1];
        const schema = op.parameters.find((p) => p.in === 'path' && p.name === name)?.schema as { pattern?: string; $ref?: string } | undefined;
        const resolved = schema?.$ref ? (schemas[schema.$ref.split('/').pop() ?? ''] as { pattern?: string }) : schema;
        return !resolved?.pattern || new RegExp(resolved.pattern, 'u').test(literal);
      };
      const overlaps: string[] = [];
      for (const a of templates) {
        for (const b of templates) {
          if (a === b || a.path === b.path || a.segments.length !== b.segments.length) continue;
          const same = a.segments.every((sa, i) => {
            const sb = b.segments[i] ?? '';
            if (sa === sb) return true;
            if (sa.startsWith('{') && !sb.startsWith('{')) return accepts(a.op, sa, sb);
            if (sb.startsWith('{') && !sa.startsWith('{')) return accepts(b.op, sb, sa);
            return sa.startsWith('{') && sb.startsWith('{');
          });
          if (same && a.path < b.path) overlaps.push(`${a.path} ~ ${b.path}`);
        }
      }
      expect(overlaps).toEqual([]);
    });

    it('an operation negotiates (documents 406) exactly when it answers in more than one media type, JSON first', () => {
      for (const op of spec.operations) {
        const types = Object.entries((spec.document['paths'] as Record<string, Record<string, { responses: Record<string, { content?: object }> }>>)[op.path]?.[op.method]?.responses ?? {})
          .filter(([status]) => status.startsWith('2'))
          .flatMap(([, r]) => Object.keys(r.content ?? {}));
        expect('406' in op.responses, op.operationId).toBe(new Set(types).size > 1);
        if (op.produces) expect(op.produces[0], op.operationId).toBe('application/json');
      }
    });

    it('names things with the right article', () => {
      const text = JSON.stringify(spec.document);
      expect(text.match(/\b[Aa] (?:[aeio]|u(?!s|n[iu]|r[aeiou]))[a-z]+/g) ?? []).toEqual([]);
    });
  });
});
