import { z } from 'zod';
import type { FieldProblem } from '../core/errors.js';
import { ENTITY_NAMES, type EntityName } from '../core/model/entities.js';
import type { TargetSettings } from './delivery.js';
import type { SourceSettings } from './sources.js';
import { entitiesSchema as entities, systemNameSchema as systemName } from '../core/config/sections.js';

/**
 * The `sync` section of `hub.config.yaml`: targets the hub delivers to and sources it reads from.
 * Every default of the sync engine is stated here, once (the engine reads the parsed values).
 */

export const targetSchema = z.strictObject({
  entities: entities.describe('Entities delivered to this target (each needs an outbound mapping of the connector)'),
  receiver: systemName.optional().describe('The policy receiver (targets.<receiver> in the policy file) whose projection leaves for this target; default: the target\'s own name. Bound here, never by a mapping file'),
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

export const sourceSchema = z.strictObject({
  entities: entities.describe('Entities polled from this source (each needs an inbound mapping of the connector)'),
  pollIntervalSeconds: z.number().min(0).max(86400).default(60).describe('Polling interval; 0 turns polling off'),
  pageSize: z.number().int().min(1).max(10000).default(500).describe('Records per read'),
  jobLockSeconds: z.number().min(1).max(3600).default(30).describe('An ingest or backfill job whose worker died is taken up by another worker after this'),
  deletes: z
    .union([z.boolean(), z.array(z.enum(ENTITY_NAMES)).min(1)])
    .default(false)
    .describe('Apply the deletes this source reports (a soft-delete flag: deletedFlag / deletedField; ERPNext: a cancelled invoice or payment) to the hub record, which then goes to the targets that allow deletes: true for every entity, or the entities to apply them to (e.g. [receivable, payment])'),
  webhookSecretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional().describe('Environment variable holding the secret that signs this source\'s webhooks (HMAC-SHA256)'),
});

/** The `sync:` section. */
export const syncSectionSchema = z
  .strictObject({
    relayIntervalMs: z.number().int().min(10).max(60_000).default(1000).describe('Safety-net poll of the outbox; commits wake the relay at once'),
    targets: z.record(systemName, targetSchema).default({}).describe('Systems the hub delivers to'),
    sources: z.record(systemName, sourceSchema).default({}).describe('Systems the hub reads from'),
  })
  .default({ relayIntervalMs: 1000, targets: {}, sources: {} });

export type SyncSection = z.output<typeof syncSectionSchema>;

/** A target's settings, resolved: every field set (from the file or the schema's default). */
export type TargetConfig = TargetSettings & { readonly entities: readonly EntityName[]; readonly reconcileEveryMs?: number | undefined };

/** A source's settings, resolved: every field set (from the file or the schema's default). */
export type SourceConfig = SourceSettings & { readonly webhookSecret?: string | undefined };

/**
 * The `sync` section of the configuration, resolved (the schema above, durations in milliseconds,
 * secrets read). Complete: the engine takes its settings from here and states no default of its own.
 */
export interface SyncConfig {
  readonly relayIntervalMs: number;
  readonly targets: Readonly<Record<string, TargetConfig>>;
  readonly sources: Readonly<Record<string, SourceConfig>>;
}

/** The sync section with secrets resolved from the environment and durations in milliseconds; unset secrets are problems. */
export function resolveSyncConfig(section: SyncSection, env: Readonly<Record<string, string | undefined>>, problems: FieldProblem[]): SyncConfig {
  const targets: SyncConfig['targets'] = Object.fromEntries(
    Object.entries(section.targets).map(([name, t]) => [
      name,
      {
        entities: t.entities as EntityName[],
        batchSize: t.batchSize,
        concurrency: t.concurrency,
        attempts: t.attempts,
        backoffMs: t.backoffMs,
        maxBackoffMs: t.maxBackoffMs,
        rateLimit: t.rateLimit ? { max: t.rateLimit.max, durationMs: Math.round(t.rateLimit.perSeconds * 1000) } : undefined,
        breaker: { failures: t.breaker.failures, cooldownMs: Math.round(t.breaker.cooldownSeconds * 1000) },
        deletes: t.deletes,
        jobLockMs: Math.round(t.jobLockSeconds * 1000),
        lockMs: Math.max(10_000, Math.round(t.jobLockSeconds * 2000)),
        reconcileEveryMs: t.reconcileEveryMinutes === undefined ? undefined : Math.round(t.reconcileEveryMinutes * 60_000),
      },
    ]),
  );
  const sources: SyncConfig['sources'] = Object.fromEntries(
    Object.entries(section.sources).map(([name, s]) => {
      let webhookSecret: string | undefined;
      if (s.webhookSecretEnv) {
        webhookSecret = env[s.webhookSecretEnv];
        if (!webhookSecret) problems.push({ pointer: `/sync/sources/${name}/webhookSecretEnv`, detail: `the environment variable ${s.webhookSecretEnv} is not set` });
      }
      return [name, { entities: s.entities as EntityName[], pollIntervalMs: Math.round(s.pollIntervalSeconds * 1000), pageSize: s.pageSize, jobLockMs: Math.round(s.jobLockSeconds * 1000), deletes: Array.isArray(s.deletes) ? (s.deletes as EntityName[]) : s.deletes, webhookSecret }];
    }),
  );
  return { relayIntervalMs: section.relayIntervalMs, targets, sources };
}

