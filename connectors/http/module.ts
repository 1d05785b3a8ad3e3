import { z } from 'zod';
import { connectorModule, type ConnectorContext, type SecretRef } from '../connector-module.js';
import { entityName, envName, exact, fieldName, httpOverlapMs, httpUrl, path, timeoutMs, timeZoneName } from '../schema-parts.js';
import { createHttpClient, type HttpAuth } from './client.js';
import { createHttpConnector, type EntityEndpoints } from './http-connector.js';

/** A REST API described by configuration: endpoints per entity. Docs: docs/connectors/http.md. */

const listSchema = z.strictObject({
  path,
  recordsField: z.string().max(128).optional(),
  modifiedField: fieldName.optional(),
  tieBreakerField: fieldName.optional(),
  query: z.record(z.string().min(1), z.string()).optional(),
  modifiedFormat: z
    .discriminatedUnion('style', [
      z.strictObject({ style: z.literal('iso') }),
      z.strictObject({ style: z.literal('datetime'), timeZone: timeZoneName, fractionDigits: z.number().int().min(0).max(6).optional() }),
    ])
    .optional()
    .describe('How the system writes modifiedField (iso: UTC ISO 8601; datetime: wall-clock time in timeZone); needed to backfill from a point in time'),
  since: z.strictObject({ param: z.string().min(1) }),
  paging: z.discriminatedUnion('style', [
    z.strictObject({ style: z.literal('offset'), offsetParam: z.string().min(1), limitParam: z.string().min(1) }),
    z.strictObject({ style: z.literal('cursor'), cursorParam: z.string().min(1), limitParam: z.string().min(1), nextCursorField: fieldName }),
  ]),
  pageSize: z.number().int().min(1).max(10_000).optional(),
  countField: fieldName.optional(),
  countPath: path.optional(),
  countQuery: z.record(z.string().min(1), z.string()).optional().describe('Fixed query parameters of the count request instead of query'),
  deletedField: fieldName.optional().describe('Row field marking a deleted record (true, 1, "1", "true"); sources with deletes: true apply it to the hub'),
  deletedValues: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).optional().describe('The values of deletedField that mark a delete (compared as text), where the field is a state rather than a flag; default: any set flag'),
  detail: z
    .strictObject({ path: path.optional(), responseField: z.string().max(128).optional() })
    .optional()
    .describe('Read each listed row whole from <path>/<key> (default the list path; the document under responseField, default data), for lists that leave child tables out; one request per row'),
}).refine((l) => l.deletedValues === undefined || l.deletedField !== undefined, { path: ['deletedValues'], message: 'needs deletedField' });

const upsertSchema = z.strictObject({
  path,
  keyField: fieldName,
  method: z.enum(['POST', 'PUT']).optional(),
  responseField: z.string().max(128).optional(),
  idField: fieldName.optional(),
  namedBy: z
    .enum(['payload', 'system'])
    .optional()
    .describe('Who names a new record: payload (default; the keyField the hub sends is its key) or system (the system assigns ids itself and ignores one sent; such a target needs a lookup, or the hub refuses it)'),
  lookup: z
    .strictObject({ field: fieldName, path, query: z.strictObject({ param: z.string().min(1) }), recordsField: z.string().max(128).optional() })
    .optional()
    .describe('Before a create, find a record already holding the payload\'s value of field (GET path?param=value): a retried create updates it instead of making a second one'),
});

const batchSchema = z.strictObject({
  path,
  method: z.enum(['POST', 'PUT']).optional(),
  recordsField: z.string().max(128).optional(),
  resultsField: z.string().max(128).optional(),
  idField: fieldName.optional(),
  errorField: fieldName.optional(),
  statusField: fieldName.optional(),
  maxBatch: z.number().int().min(1).max(10_000).optional(),
});

const httpEntitySchema = z.strictObject({
  list: listSchema.optional(),
  upsert: upsertSchema.optional(),
  batch: batchSchema.optional(),
  delete: z.strictObject({ path }).optional(),
  naturalKeys: z.array(fieldName).optional(),
});

const httpAuthSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('bearer'), tokenEnv: envName }),
  z.strictObject({ kind: z.literal('basic'), usernameEnv: envName, passwordEnv: envName }),
  z.strictObject({ kind: z.literal('header'), name: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name'), valueEnv: envName }),
]);

export const httpConnectorConfigSchema = z
  .strictObject({
    type: z.literal('http'),
    baseUrl: httpUrl,
    auth: httpAuthSchema.optional(),
    timeoutMs: timeoutMs.optional(),
    checkPath: path.optional(),
    overlapMs: httpOverlapMs,
    entities: z.record(entityName, httpEntitySchema),
  })
  .superRefine((config, ctx) => {
    if (!config.overlapMs) return;
    for (const [entity, e] of Object.entries(config.entities)) {
      if (e.list && !e.list.modifiedFormat) ctx.addIssue({ code: 'custom', path: ['entities', entity, 'list', 'modifiedFormat'], message: 'is required with overlapMs: the window is measured on the modified values' });
    }
  });
export type HttpConnectorConfig = z.output<typeof httpConnectorConfigSchema>;

function authSecrets(auth: HttpConnectorConfig['auth']): SecretRef[] {
  switch (auth?.kind) {
    case undefined:
      return [];
    case 'bearer':
      return [{ pointer: 'auth/tokenEnv', variable: auth.tokenEnv }];
    case 'basic':
      return [
        { pointer: 'auth/usernameEnv', variable: auth.usernameEnv },
        { pointer: 'auth/passwordEnv', variable: auth.passwordEnv },
      ];
    case 'header':
      return [{ pointer: 'auth/valueEnv', variable: auth.valueEnv }];
  }
}

function httpAuth(auth: HttpConnectorConfig['auth'], ctx: ConnectorContext): HttpAuth | undefined {
  switch (auth?.kind) {
    case undefined:
      return undefined;
    case 'bearer':
      return { kind: 'bearer', token: ctx.secret(auth.tokenEnv) };
    case 'basic':
      return { kind: 'basic', username: ctx.secret(auth.usernameEnv), password: ctx.secret(auth.passwordEnv) };
    case 'header':
      return { kind: 'header', name: auth.name, value: ctx.secret(auth.valueEnv) };
  }
}

export const httpModule = connectorModule({
  type: 'http',
  configSchema: httpConnectorConfigSchema,
  docs: 'docs/connectors/http.md',
  secrets: (config) => authSecrets(config.auth),
  create(name, config, ctx) {
    const auth = httpAuth(config.auth, ctx);
    const client = createHttpClient({
      baseUrl: config.baseUrl,
      ...(auth === undefined ? {} : { auth }),
      ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
      ...(ctx.deps.fetch === undefined ? {} : { fetch: ctx.deps.fetch }),
    });
    const entities: Record<string, EntityEndpoints> = exact(config.entities);
    return createHttpConnector({ name, client, entities, ...(config.checkPath === undefined ? {} : { checkPath: config.checkPath }), ...(config.overlapMs === undefined ? {} : { overlapMs: config.overlapMs }) });
  },
});
