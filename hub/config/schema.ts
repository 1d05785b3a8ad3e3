import { z } from 'zod';
import { connectorConfigSchema } from '../../connectors/config.js';
import { coreSections, systemNameSchema as systemName } from '../../core/config/sections.js';
import { syncSectionSchema } from '../../queues/config.js';
import { feedsSectionSchema } from '../../queues/feeds/config.js';

export { DEFAULT_ROLES } from '../../core/config/sections.js';

/**
 * Schema of `hub.config.yaml`, assembled from each layer's sections: core's (security, auth, roles,
 * orders, finance, policy, ownership, logging), the mapping folders, the connector modules' schemas, the
 * sync section and the feeds section. Every key is optional; defaults are in the `.default()` calls of the sections.
 */
export const configFileSchema = z
  .strictObject({
    security: coreSections.security,
    auth: coreSections.auth,
    roles: coreSections.roles,
    orders: coreSections.orders,
    finance: coreSections.finance,
    policy: coreSections.policy,
    ownership: coreSections.ownership,
    mappings: z
      .strictObject({
        dirs: z.array(z.string().min(1)).default([]).describe('Directories of mapping files and connector schemas, relative to this file\'s folder; each must exist. They extend or override the defaults by mapping name'),
      })
      .default({ dirs: [] }),
    connectors: z.record(systemName, connectorConfigSchema).default({}).describe('External systems by name (the name of their mappings\' connector); secrets are named by environment variable, never written here'),
    sync: syncSectionSchema,
    feeds: feedsSectionSchema,
    logging: coreSections.logging,
  })
  .describe('ERP–CRM sync hub configuration (hub.config.yaml)');

export type ConfigFile = z.output<typeof configFileSchema>;
export type ConfigFileInput = z.input<typeof configFileSchema>;
