/**
 * The hub's public entry point for embedding: `createHub()` and the types a host needs, including
 * what it takes to write a connector of its own (the contract, `ConnectorError`, the module shape and
 * the registered modules) and a custom mapping transform. Everything else is internal.
 */
export { createHub, type CreateHubOptions, type Hub } from './create-hub.js';
export type { HubConfig } from './config/load.js';
export type { ConfigFileInput } from './config/schema.js';
export { HubError } from '../core/errors.js';
export type { Principal } from '../core/auth/principal.js';
export { ENTITY_NAMES, type EntityName, type StoredRecord } from '../core/model/entities.js';

// Connectors: the contract every connector implements, and the modules the configuration is built from.
export {
  ConnectorError,
  FAILURE_KINDS,
  flagSet,
  type Connector,
  type ConnectorDescription,
  type EntityCapabilities,
  type ExternalRecord,
  type FailureKind,
  type ReadPage,
  type RecordOutcome,
  type UpsertRequest,
  type WebhookDelivery,
  type WebhookRequest,
} from '../connectors/contract.js';
/** What an outbound mapping makes of a projected record: the only payload type a connector's upsert takes. */
export type { MappedPayload } from '../core/model/mapped.js';
export {
  CONNECTOR_MODULES,
  connectorModule,
  defaultMappingDirs,
  type ConnectorConfigSchema,
  type ConnectorContext,
  type ConnectorDeps,
  type ConnectorEnv,
  type ConnectorModule,
  type SecretRef,
} from '../connectors/registry.js';
export { connectorFactory, type ConnectorFactory, type ConnectorModules } from '../connectors/config.js';

// Mappings: a host's own transform, registered with createHub({ transforms: { name: … } }).
export { TransformError, VALUE_TYPES, type CustomTransform, type TransformContext, type TransformFn, type ValueType } from '../mappings/engine/transform-types.js';
