import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { connectorModule } from '../connector-module.js';
import { envName, fieldName, httpOverlapMs, httpUrl, timeoutMs, timeZoneName } from '../schema-parts.js';
import { createErpnextConnector } from './erpnext.js';

/** ERPNext (Frappe REST API) with its default mappings. Docs: docs/connectors/erpnext.md. */

export const erpnextConnectorConfigSchema = z.strictObject({
  type: z.literal('erpnext'),
  baseUrl: httpUrl,
  apiKeyEnv: envName,
  apiSecretEnv: envName,
  timeoutMs: timeoutMs.optional(),
  timeZone: timeZoneName.optional().describe("The site's time zone (System Settings), in which ERPNext stamps modified; needed to backfill from a point in time"),
  overlapMs: httpOverlapMs,
  lookupField: fieldName.nullable().optional().describe('A (custom) field every outbound mapping writes the hub\'s key to: before a create the connector looks for a document holding it, so a retried create never makes a second document under a naming series. Default custom_hub_code (the default mappings write it; create it as a Data custom field on Customer, Sales Order and Contact); null turns the lookup off, and the hub then refuses Customer, Contact and Sales Order as targets'),
  submitOrders: z.boolean().optional().describe('Submit the Sales Orders the hub writes (docstatus 1: a create is inserted and submitted at once, a draft is submitted); default false leaves them drafts'),
  amendSubmittedOrders: z.boolean().optional().describe('When ERPNext refuses a change of a submitted Sales Order (UpdateAfterSubmitError), cancel it and create its amendment (<name>-1) with the change; default false fails the record permanently, saying so'),
}).superRefine((config, ctx) => {
  if (config.overlapMs && !config.timeZone) ctx.addIssue({ code: 'custom', path: ['timeZone'], message: "is required with overlapMs: the window is measured on modified, which ERPNext writes in the site's time zone" });
});
export type ErpnextConnectorConfig = z.output<typeof erpnextConnectorConfigSchema>;

export const erpnextModule = connectorModule({
  type: 'erpnext',
  configSchema: erpnextConnectorConfigSchema,
  docs: 'docs/connectors/erpnext.md',
  defaultMappingsDir: fileURLToPath(new URL('./mappings/', import.meta.url)),
  secrets: (config) => [
    { pointer: 'apiKeyEnv', variable: config.apiKeyEnv },
    { pointer: 'apiSecretEnv', variable: config.apiSecretEnv },
  ],
  create(name, config, ctx) {
    return createErpnextConnector({
      name,
      baseUrl: config.baseUrl,
      apiKey: ctx.secret(config.apiKeyEnv),
      apiSecret: ctx.secret(config.apiSecretEnv),
      ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
      ...(config.timeZone === undefined ? {} : { timeZone: config.timeZone }),
      ...(config.overlapMs === undefined ? {} : { overlapMs: config.overlapMs }),
      ...(config.lookupField === undefined ? {} : { lookupField: config.lookupField }),
      ...(config.submitOrders === undefined ? {} : { submitOrders: config.submitOrders }),
      ...(config.amendSubmittedOrders === undefined ? {} : { amendSubmittedOrders: config.amendSubmittedOrders }),
      ...(ctx.deps.fetch === undefined ? {} : { fetch: ctx.deps.fetch }),
    });
  },
});
