import type { z } from 'zod';
import type { ConfigError } from '../core/errors.js';
import type { Connector } from './contract.js';
import type { FetchLike } from './http/client.js';

/**
 * What a connector module is: everything the hub needs to know about one kind of external system,
 * in one folder (`connectors/<type>/module.ts`), registered with one line in `connectors/registry.ts`.
 * The configuration union, the factory, the secret checks of the one-pass configuration check and the
 * default mappings are all built from the registered modules; nothing else names a connector type.
 */

/** The environment a connector reads its secrets from. */
export type ConnectorEnv = Readonly<Record<string, string | undefined>>;

/** What tests and embedding hosts may inject. */
export interface ConnectorDeps {
  /** For HTTP connectors; default `globalThis.fetch`. */
  readonly fetch?: FetchLike;
}

/** An environment variable a configuration names for a secret, and where it names it. */
export interface SecretRef {
  /** The key naming the variable, relative to the connector's entry: `apiKeyEnv`, `auth/tokenEnv`. */
  readonly pointer: string;
  /** The variable's name (never its value). */
  readonly variable: string;
}

/** What `create` gets besides the configuration. */
export interface ConnectorContext {
  readonly env: ConnectorEnv;
  readonly deps: ConnectorDeps;
  /** The value of a variable `secrets()` named: checked set and non-empty before `create` runs. */
  secret(variable: string): string;
  /** A ConfigError with one problem at `/connectors/<name>/<pointer>` (say what is wrong, never a secret's value). */
  invalid(pointer: string, detail: string): ConfigError;
}

/** A connector's configuration schema: a strict object discriminated by its `type` literal. */
export type ConnectorConfigSchema = z.ZodObject<{ type: z.ZodLiteral<string> } & z.core.$ZodLooseShape, z.core.$strict>;

export interface ConnectorModule<S extends ConnectorConfigSchema = ConnectorConfigSchema> {
  /** The configuration's `type:` (`erpnext`, `mysql` …); unique among the registered modules. */
  readonly type: string;
  /** The configuration of one instance: `z.strictObject({ type: z.literal(<type>), … })`. */
  readonly configSchema: S;
  /**
   * The environment variables a configuration needs, in the order to report them. The hub checks them
   * all (for every connector at once) before it builds anything, and names each unset one.
   */
  secrets(config: z.output<S>): readonly SecretRef[];
  /**
   * Builds the connector `name`; the secrets are checked set. Opens no connection (`check()` is where an
   * unreachable system shows); throws a ConfigError (`ctx.invalid`) for a secret of the wrong form.
   */
  create(name: string, config: z.output<S>, ctx: ConnectorContext): Connector;
  /** Absolute path of the mapping files and connector schema that ship with the module, if any. */
  readonly defaultMappingsDir?: string;
  /** Repository-relative path of the module's docs page (`docs/connectors/<type>.md`). */
  readonly docs: string;
}

/** Declares a connector module, keeping its configuration type for `secrets` and `create`. */
export function connectorModule<S extends ConnectorConfigSchema>(module: ConnectorModule<S> & { readonly type: z.output<S>['type'] }): ConnectorModule<S> {
  return module;
}
