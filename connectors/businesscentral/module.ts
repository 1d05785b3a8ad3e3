import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { connectorModule } from '../connector-module.js';
import { envName, httpUrl, timeoutMs } from '../schema-parts.js';
import { BC_MAX_BATCH, BC_SCOPE, entraTokenUrl, saasApiRoot } from './client.js';
import { createBusinessCentralConnector } from './connector.js';

/** Microsoft Dynamics 365 Business Central (API v2.0) with its default mappings. Docs: docs/connectors/businesscentral.md. */

const guid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a GUID (8-4-4-4-12 hexadecimal digits)');

export const businesscentralConnectorConfigSchema = z.strictObject({
  type: z.literal('businesscentral'),
  tenantId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,99}$/, 'must be the Microsoft Entra tenant id (a GUID) or its domain name (contoso.onmicrosoft.com)')
    .describe('The Microsoft Entra tenant of the Business Central environment: its id or domain name'),
  environment: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an environment name such as production or sandbox').optional().describe('The environment name; default production'),
  companyId: guid.describe('The company\'s id, as GET <api root>/companies lists it'),
  clientIdEnv: envName.describe('Environment variable holding the Entra application (client) id'),
  clientSecretEnv: envName.describe('Environment variable holding a client secret of that application'),
  baseUrl: httpUrl
    .refine((u) => /\/api\/v2\.0\/?$/.test(new URL(u).pathname), { error: 'must be an API v2.0 root ending in /api/v2.0' })
    .optional()
    .describe('The API root, for on-premises servers (https://host:7048/bc/api/v2.0); default https://api.businesscentral.dynamics.com/v2.0/<tenantId>/<environment>/api/v2.0'),
  tokenUrl: httpUrl.optional().describe('The OAuth2 token endpoint; default https://login.microsoftonline.com/<tenantId>/oauth2/v2.0/token'),
  scope: z.string().min(1).max(500).optional().describe(`The token's scope; default ${BC_SCOPE}`),
  paymentJournal: z.string().min(1).max(10).optional().describe('Code of the customer payment journal whose lines are read as customer payments (customerPayments); without it customerPayments cannot be read'),
  batchSize: z.number().int().min(1).max(BC_MAX_BATCH).optional().describe(`Records written per $batch request; default ${BC_MAX_BATCH} (BC's maximum of operations per batch)`),
  timeoutMs: timeoutMs.optional(),
});
export type BusinesscentralConnectorConfig = z.output<typeof businesscentralConnectorConfigSchema>;

export const businesscentralModule = connectorModule({
  type: 'businesscentral',
  configSchema: businesscentralConnectorConfigSchema,
  docs: 'docs/connectors/businesscentral.md',
  defaultMappingsDir: fileURLToPath(new URL('./mappings/', import.meta.url)),
  secrets: (config) => [
    { pointer: 'clientIdEnv', variable: config.clientIdEnv },
    { pointer: 'clientSecretEnv', variable: config.clientSecretEnv },
  ],
  create(name, config, ctx) {
    return createBusinessCentralConnector({
      name,
      apiRoot: (config.baseUrl ?? saasApiRoot(config.tenantId, config.environment ?? 'production')).replace(/\/+$/, ''),
      companyId: config.companyId.toLowerCase(),
      tokenUrl: config.tokenUrl ?? entraTokenUrl(config.tenantId),
      clientId: ctx.secret(config.clientIdEnv),
      clientSecret: ctx.secret(config.clientSecretEnv),
      ...(config.scope === undefined ? {} : { scope: config.scope }),
      ...(config.paymentJournal === undefined ? {} : { paymentJournal: config.paymentJournal }),
      ...(config.batchSize === undefined ? {} : { batchSize: config.batchSize }),
      ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
      ...(ctx.deps.fetch === undefined ? {} : { fetch: ctx.deps.fetch }),
    });
  },
});
