import { z } from 'zod';
import { connectorConfigSchema } from '../../connectors/config.js';
import { ENTITY_NAMES } from '../model/entities.js';
import { parseCidr } from '../net/ip.js';

const cidr = z.string().refine((v) => parseCidr(v) !== undefined, { message: 'is not an IPv4/IPv6 address or CIDR range' });
const systemName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be lower_snake_case (a mapping connector name), at most 64 characters');
const entities = z.array(z.enum(ENTITY_NAMES)).min(1).describe('Canonical entities');

const targetSchema = z.strictObject({
  entities: entities.describe('Entities delivered to this target (each needs an outbound mapping of the connector)'),
  batchSize: z.number().int().min(1).max(5000).default(200).describe('Records per delivery job and per upsert call'),
  concurrency: z.number().int().min(1).max(64).default(2).describe('Delivery jobs one worker process runs at once for this target'),
  attempts: z.number().int().min(1).max(100).default(8).describe('Attempts of a retryable failure before the record is a dead letter'),
  backoffMs: z.number().int().min(1).max(3_600_000).default(500).describe('First retry delay; doubles per attempt, with jitter; Retry-After is honoured when longer'),
  maxBackoffMs: z.number().int().min(1).max(86_400_000).default(300_000).describe('Longest retry delay'),
  rateLimit: z
    .strictObject({ max: z.number().int().min(1), perSeconds: z.number().positive().max(3600) })
    .optional()
    .describe('Upsert calls per window across every worker process'),
  breaker: z
    .strictObject({ failures: z.number().int().min(1).max(1000).default(5), cooldownSeconds: z.number().min(0.1).max(86400).default(30) })
    .default({ failures: 5, cooldownSeconds: 30 })
    .describe('Failed batches in a row that pause the target, and how long before a probe'),
  deletes: z.boolean().default(false).describe('Propagate deletes (tombstones) where the connector can delete, and delete records that left the target\'s rows (policy where)'),
  jobLockSeconds: z.number().min(1).max(3600).default(30).describe('A job whose worker stops renewing its lock this long is taken up by another worker'),
  reconcileEveryMinutes: z.number().min(0.05).max(7 * 1440).optional().describe('Compare the target with the hub on this schedule (counts and content checksums) and re-sync the drift; the target must be readable and have an inbound mapping'),
});

const sourceSchema = z.strictObject({
  entities: entities.describe('Entities polled from this source (each needs an inbound mapping of the connector)'),
  pollIntervalSeconds: z.number().min(0).max(86400).default(60).describe('Polling interval; 0 turns polling off'),
  pageSize: z.number().int().min(1).max(10000).default(500).describe('Records per read'),
  jobLockSeconds: z.number().min(1).max(3600).default(30).describe('An ingest or backfill job whose worker died is taken up by another worker after this'),
  deletes: z.boolean().default(false).describe('Apply the deletes this source reports (a soft-delete flag: deletedFlag / deletedField) to the hub record, which then goes to the targets that allow deletes'),
  webhookSecretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional().describe('Environment variable holding the secret that signs this source\'s webhooks (HMAC-SHA256)'),
});

const roleName = z.string().regex(/^[a-z][a-z0-9_]{1,63}$/, 'must be lower_snake_case, 2–64 characters');

/** The roles the default configuration defines; the policy file gives them their meaning. */
export const DEFAULT_ROLES = Object.freeze({
  admin: 'Administers users, keys and configuration; sees everything',
  auditor: 'Reads the audit trail',
  boss: 'Sees everything',
  sales_director: 'Sees every sales record',
  team_lead: 'Sees the records of their team and the teams below it',
  sales_rep: 'Sees their own customers, contacts, orders, receivables and payments',
  purchasing: 'Sees products with cost, and inventory',
  quality: 'Sees orders without prices',
  ar_clerk: 'Accounts receivable: receivables, payments and order totals',
  staff: 'Other departments: customer names and codes',
} satisfies Record<string, string>);

/** Schema of `hub.config.yaml`. Every key is optional; defaults are in the `.default()` calls. */
export const configFileSchema = z
  .strictObject({
    security: z
      .strictObject({
        allowedCidrs: z.array(cidr).default([]).describe('Client address ranges allowed to call the hub; empty allows every address'),
        trustedProxies: z.array(cidr).default([]).describe('Proxies whose X-Forwarded-For header is believed'),
      })
      .default({ allowedCidrs: [], trustedProxies: [] }),
    auth: z
      .strictObject({
        tokenTtlSeconds: z.number().int().min(60).max(30 * 86400).default(43200).describe('Lifetime of a login token'),
        loginThrottle: z
          .strictObject({
            maxFailures: z.number().int().min(1).max(1000).default(5),
            windowSeconds: z.number().int().min(1).max(86400).default(900),
          })
          .default({ maxFailures: 5, windowSeconds: 900 })
          .describe('Failed logins per user and address before 429'),
      })
      .default({ tokenTtlSeconds: 43200, loginThrottle: { maxFailures: 5, windowSeconds: 900 } }),
    roles: z.record(roleName, z.string().max(500)).default({ ...DEFAULT_ROLES }).describe('Role names and what they are for'),
    orders: z
      .strictObject({
        quotaTypes: z.array(z.enum(['standard', 'special', 'sample', 'repeat'])).default(['standard', 'repeat']).describe('Order types that count toward a sales quota'),
      })
      .default({ quotaTypes: ['standard', 'repeat'] }),
    policy: z
      .strictObject({
        file: z.string().min(1).optional().describe('Permission policy YAML, relative to this file\'s folder; default: the policy shipped with the hub (core/policy/default-policy.yaml)'),
      })
      .default({}),
    ownership: z
      .strictObject({
        conflictWindowSeconds: z.number().int().min(0).max(86400).default(300).describe('Two systems that may both write a field changing it within this window is a conflict'),
        fields: z
          .partialRecord(z.enum(['customer', 'contact', 'product', 'inventory', 'order', 'receivable', 'payment']), z.record(z.string(), z.array(z.string())))
          .default({})
          .describe('entity → field → systems that may write it (hub = the built-in CRM); unlisted fields: every system. Default: none, every system may write every field'),
      })
      .default({ conflictWindowSeconds: 300, fields: {} }),
    mappings: z
      .strictObject({
        dirs: z.array(z.string().min(1)).default([]).describe('Directories of mapping files and connector schemas, relative to this file\'s folder; each must exist. They extend or override the defaults by mapping name'),
      })
      .default({ dirs: [] }),
    connectors: z.record(systemName, connectorConfigSchema).default({}).describe('External systems by name (the name of their mappings\' connector); secrets are named by environment variable, never written here'),
    sync: z
      .strictObject({
        relayIntervalMs: z.number().int().min(10).max(60_000).default(1000).describe('Safety-net poll of the outbox; commits wake the relay at once'),
        targets: z.record(systemName, targetSchema).default({}).describe('Systems the hub delivers to'),
        sources: z.record(systemName, sourceSchema).default({}).describe('Systems the hub reads from'),
      })
      .default({ relayIntervalMs: 1000, targets: {}, sources: {} }),
    logging: z
      .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .default({ level: 'info' }),
  })
  .describe('ERP–CRM sync hub configuration (hub.config.yaml)');

export type ConfigFile = z.output<typeof configFileSchema>;
export type ConfigFileInput = z.input<typeof configFileSchema>;
