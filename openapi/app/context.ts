import type { Request } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AuthService } from '../../core/auth/auth-service.js';
import type { Principal } from '../../core/auth/principal.js';
import type { FinanceSection, OrdersSection, SecuritySection } from '../../core/config/sections.js';
import type { RecordService } from '../../core/records/service.js';
import type { Store } from '../../core/store/store.js';
import type { PolicyEngine } from '../../core/policy/engine.js';
import type { FieldCatalog } from '../../core/policy/catalog.js';
import type { MappingRegistry } from '../../mappings/engine/load.js';
import type { SyncEngine } from '../../queues/engine.js';
import type { FeedService } from '../../queues/feeds/service.js';
import type { OperationSpec } from './spec.js';

/** What the handlers need from the hub. */
export interface AppDeps {
  /** The parts of the configuration the API reads (the hub's whole configuration fits). */
  readonly config: { readonly file: { readonly security: SecuritySection; readonly orders: OrdersSection; readonly finance: FinanceSection } };
  readonly store: Store;
  readonly records: RecordService;
  readonly auth: AuthService;
  /** The compiled permission policy: the only way records leave the hub. */
  readonly policy: PolicyEngine;
  readonly catalog: FieldCatalog;
  readonly mappings: MappingRegistry;
  /** The sync engine (status; its desks: runs, dead letters, conflicts, webhooks). */
  readonly sync: SyncEngine;
  /** The receivables feeds: runs, their listing, the signing keys' public halves. */
  readonly feeds: FeedService;
  readonly log: Logger;
  readonly metrics: Registry;
  readonly ready: () => Promise<Record<string, { ok: boolean; detail?: string }>>;
  /** Validate every response against the spec (tests turn this on). */
  readonly validateResponses: boolean;
}

export interface AuditInfo {
  action: string;
  entity: string | null;
  recordIds: string[];
  fields: string[];
}

export interface RequestContext {
  readonly req: Request;
  readonly op: OperationSpec;
  readonly requestId: string;
  readonly principal: Principal | undefined;
  readonly ip: string;
  readonly params: Record<string, string>;
  readonly query: Record<string, unknown>;
  readonly headers: Record<string, unknown>;
  readonly body: unknown;
  /** Where the hub is mounted (e.g. `/crm`), for links. */
  readonly baseUrl: string;
  /** What the audit trail records for this request; handlers fill in ids and fields. */
  audit: AuditInfo | undefined;
  /** Set when the handler already wrote the audit record inside its transaction. */
  audited: boolean;
  /** The body's bytes as received, for operations whose handler asks for them (`rawBody`). */
  readonly rawBody?: Buffer;
  /**
   * The media type to answer in, chosen by `Accept` among those the operation's success answers
   * list, for an operation that negotiates (documents 406; see negotiate.ts); undefined otherwise.
   */
  readonly mediaType?: string;
}

export interface HandlerResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string | readonly string[]>;
  /** For non-JSON bodies (metrics). */
  readonly contentType?: string;
}

/** Who may call an operation, before the policy engine narrows rows and fields. */
export type Access = 'public' | 'authenticated' | 'business' | 'admin' | 'auditor';

export interface OperationHandler {
  readonly access: Access;
  /** The audit action and entity, for audited operations. */
  readonly audit?: { readonly action: string; readonly entity: string | null };
  readonly handle: (ctx: RequestContext, deps: AppDeps) => Promise<HandlerResult>;
  /**
   * Refuses (403) a caller who may not use the operation at all, whatever the request holds: run
   * after authentication and `access`, before the request is validated, so such a caller learns
   * nothing from validation errors.
   */
  readonly authorize?: (principal: Principal, deps: AppDeps, params: Readonly<Record<string, string>>) => Promise<void>;
  /**
   * The handler reads the body's raw bytes (`ctx.rawBody`, e.g. to check a signature over them)
   * and validates it itself: the router neither parses nor validates it against the spec.
   */
  readonly rawBody?: boolean;
}
