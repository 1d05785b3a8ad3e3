import { businesscentralModule } from './businesscentral/module.js';
import { erpnextModule } from './erpnext/module.js';
import { httpModule } from './http/module.js';
import { mssqlModule } from './mssql/module.js';
import { mysqlModule } from './mysql/module.js';
import { postgresModule } from './postgres/module.js';
import { odooModule } from './odoo/module.js';
import { sapb1Module } from './sapb1/module.js';

export type { ConnectorConfigSchema, ConnectorContext, ConnectorDeps, ConnectorEnv, ConnectorModule, SecretRef } from './connector-module.js';
export { connectorModule } from './connector-module.js';

/**
 * Every connector module the hub knows, one line each. The configuration union (`type:`), the factory,
 * the secret checks and the default mappings are built from this list (connectors/config.ts,
 * hub/config/prepare.ts): adding a connector is a folder `connectors/<type>/` with a `module.ts`, and
 * a line here. The order is the order the configuration schema lists the types in.
 */
export const CONNECTOR_MODULES = [
  mysqlModule,
  mssqlModule,
  httpModule,
  erpnextModule,
  postgresModule,
  odooModule,
  sapb1Module,
  businesscentralModule,
] as const;

/** The folders of default mappings the modules ship, in registry order (loaded before the user's). */
export function defaultMappingDirs(modules: readonly { readonly defaultMappingsDir?: string }[] = CONNECTOR_MODULES): string[] {
  return modules.flatMap((m) => (m.defaultMappingsDir === undefined ? [] : [m.defaultMappingsDir]));
}
