import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { connectorModule } from '../connector-module.js';
import { envName, httpUrl, timeoutMs, timeZoneName } from '../schema-parts.js';
import { createSapB1Connector } from './connector.js';

/** SAP Business One (Service Layer) with its default mappings. Docs: docs/connectors/sapb1.md. */

const serviceLayerRoot = httpUrl.refine((url) => URL.canParse(url) && /^\/b1s\/v1\/?$/.test(new URL(url).pathname), {
  error: 'must be the Service Layer root, ending in /b1s/v1 (e.g. https://sap.example.com:50000/b1s/v1)',
});

export const sapb1ConnectorConfigSchema = z.strictObject({
  type: z.literal('sapb1'),
  baseUrl: serviceLayerRoot.describe('The Service Layer root, https://<host>:50000/b1s/v1 (OData v3 flavour; v2 is not supported)'),
  companyDb: z.string().min(1).max(100).describe('The company database (schema) to log in to, as in the Login body: CompanyDB'),
  userName: z.string().min(1).max(100).describe('The SAP Business One user the hub logs in as'),
  passwordEnv: envName.describe("Environment variable holding the user's password"),
  language: z.number().int().min(0).max(999).optional().describe('Login Language: the SAP language code of the messages (3 is English (US))'),
  timeoutMs: timeoutMs.optional(),
  timeZone: timeZoneName.optional().describe("The Service Layer server's time zone, in which SAP stamps UpdateDate and UpdateTime; needed to backfill from a point in time"),
  overlapSeconds: z.number().int().min(0).max(86_400).optional().describe('Re-read window once caught up, in seconds (SAP stamps whole seconds); default 1'),
  pageSize: z.number().int().min(1).max(1000).optional().describe('Rows per page asked with Prefer: odata.maxpagesize; default 100'),
  orderDelete: z.enum(['cancel', 'close']).optional().describe('What deleting an order does in SAP B1: cancel (POST Orders(n)/Cancel, the default) or close (POST Orders(n)/Close)'),
});
export type SapB1ConnectorConfig = z.output<typeof sapb1ConnectorConfigSchema>;

export const sapb1Module = connectorModule({
  type: 'sapb1',
  configSchema: sapb1ConnectorConfigSchema,
  docs: 'docs/connectors/sapb1.md',
  defaultMappingsDir: fileURLToPath(new URL('./mappings/', import.meta.url)),
  secrets: (config) => [{ pointer: 'passwordEnv', variable: config.passwordEnv }],
  create(name, config, ctx) {
    return createSapB1Connector({
      name,
      baseUrl: config.baseUrl,
      companyDb: config.companyDb,
      userName: config.userName,
      password: ctx.secret(config.passwordEnv),
      ...(config.language === undefined ? {} : { language: config.language }),
      ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
      ...(config.timeZone === undefined ? {} : { timeZone: config.timeZone }),
      ...(config.overlapSeconds === undefined ? {} : { overlapSeconds: config.overlapSeconds }),
      ...(config.pageSize === undefined ? {} : { pageSize: config.pageSize }),
      ...(config.orderDelete === undefined ? {} : { orderDelete: config.orderDelete }),
      ...(ctx.deps.fetch === undefined ? {} : { fetch: ctx.deps.fetch }),
    });
  },
});
