import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { connectorModule, type SecretRef } from '../connector-module.js';
import { envName, httpUrl, timeoutMs } from '../schema-parts.js';
import { createOdooConnector } from './connector.js';
import { ODOO_PROTOCOLS } from './rpc.js';

/** Odoo over JSON-RPC or JSON-2, with its default mappings. Docs: docs/connectors/odoo.md. */

export const odooConnectorConfigSchema = z.strictObject({
  type: z.literal('odoo'),
  baseUrl: httpUrl.describe('The Odoo server, e.g. https://mycompany.odoo.com'),
  protocol: z.enum(ODOO_PROTOCOLS).optional().describe('jsonrpc (default; POST /jsonrpc, Odoo 8–19, user login and password or API key) or json2 (POST /json/2/<model>/<method>, Odoo 19+, API key)'),
  database: z.string().min(1).max(128).optional().describe('The database: required with jsonrpc; with json2 sent as X-Odoo-Database (needed where one server hosts several databases)'),
  login: z.string().min(1).max(256).optional().describe('jsonrpc: the user login'),
  passwordEnv: envName.optional().describe('jsonrpc: variable holding the user password or, better, an API key of the user'),
  apiKeyEnv: envName.optional().describe('json2: variable holding an API key of the user (Preferences → Account Security → New API Key)'),
  timeoutMs: timeoutMs.optional(),
  overlapSeconds: z.number().int().min(0).max(86_400).optional().describe('Re-read the last N seconds of changes once caught up: Odoo stamps write_date when a transaction starts, so a long one commits changes older than what was already read. Default 0'),
}).superRefine((config, ctx) => {
  const protocol = config.protocol ?? 'jsonrpc';
  const need = (key: 'database' | 'login' | 'passwordEnv' | 'apiKeyEnv', why: string) => {
    if (config[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `is required ${why}` });
  };
  const refuse = (key: 'login' | 'passwordEnv' | 'apiKeyEnv', why: string) => {
    if (config[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `is not used ${why}` });
  };
  if (protocol === 'jsonrpc') {
    need('database', 'with protocol jsonrpc: every call names the database');
    need('login', 'with protocol jsonrpc: common.login takes the user login');
    need('passwordEnv', 'with protocol jsonrpc: common.login takes the password or an API key');
    refuse('apiKeyEnv', 'with protocol jsonrpc (put the API key in passwordEnv)');
  } else {
    need('apiKeyEnv', 'with protocol json2: every call carries Authorization: bearer <API key>');
    refuse('login', 'with protocol json2: the API key names the user');
    refuse('passwordEnv', 'with protocol json2 (use apiKeyEnv)');
  }
});
export type OdooConnectorConfig = z.output<typeof odooConnectorConfigSchema>;

export const odooModule = connectorModule({
  type: 'odoo',
  configSchema: odooConnectorConfigSchema,
  docs: 'docs/connectors/odoo.md',
  defaultMappingsDir: fileURLToPath(new URL('./mappings/', import.meta.url)),
  secrets: (config): SecretRef[] => [
    ...(config.passwordEnv === undefined ? [] : [{ pointer: 'passwordEnv', variable: config.passwordEnv }]),
    ...(config.apiKeyEnv === undefined ? [] : [{ pointer: 'apiKeyEnv', variable: config.apiKeyEnv }]),
  ],
  create(name, config, ctx) {
    const protocol = config.protocol ?? 'jsonrpc';
    return createOdooConnector({
      name,
      baseUrl: config.baseUrl,
      protocol,
      ...(config.database === undefined ? {} : { database: config.database }),
      ...(config.login === undefined ? {} : { login: config.login }),
      ...(config.passwordEnv === undefined ? {} : { password: ctx.secret(config.passwordEnv) }),
      ...(config.apiKeyEnv === undefined ? {} : { apiKey: ctx.secret(config.apiKeyEnv) }),
      ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
      ...(config.overlapSeconds === undefined ? {} : { overlapSeconds: config.overlapSeconds }),
      ...(ctx.deps.fetch === undefined ? {} : { fetch: ctx.deps.fetch }),
    });
  },
});
