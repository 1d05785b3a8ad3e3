/**
 * The hub's public entry point for embedding: `createHub()` and the types a host needs.
 * Everything else is internal.
 */
export { createHub, type CreateHubOptions, type Hub } from './create-hub.js';
export type { HubConfig } from './config/load.js';
export type { ConfigFileInput } from './config/schema.js';
export { HubError } from '../core/errors.js';
export type { Principal } from '../core/auth/principal.js';
export { ENTITY_NAMES, type EntityName, type StoredRecord } from '../core/model/entities.js';
