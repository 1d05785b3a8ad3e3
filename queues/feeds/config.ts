import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { systemNameSchema, timeZoneSchema } from '../../core/config/sections.js';
import type { FieldProblem } from '../../core/errors.js';
import { FEED_FORMATS, type FeedFormat } from '../../core/feeds/manifest.js';
import { keyIdOf, recipientKeyProblem } from '../../core/feeds/key-id.js';
import type { FieldCatalog } from '../../core/policy/catalog.js';
import type { PolicyEngine } from '../../core/policy/engine.js';
import { envName, httpUrl } from '../../connectors/schema-parts.js';
import { checkFeedColumns, DEFAULT_FEED_COLUMNS, feedColumn, type FeedColumn } from './columns.js';

/**
 * The `feeds:` section of `hub.config.yaml`: files of open receivables for finance, by feed name.
 * Every default is stated here. Without a `feeds` section the hub has one feed, `finance-daily`
 * (the policy's `finance` receiver, CSV and JSON Lines, no schedule, no delivery: `hub feed run
 * finance-daily --out <dir>`); a `feeds` section replaces it.
 */

export const feedNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,62}[a-z0-9]$/, 'must be 2–64 lower-case letters, digits and hyphens, starting with a letter');

const columnRef = z.string().regex(/^(receivable|customer|aging)\.[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)?$/, 'must be receivable.<field>, customer.<field> or aging.<daysPastDue|bucket|status>');
const headerName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name');

export const feedHttpSchema = z.strictObject({
  url: httpUrl.describe('Finance\'s endpoint: one multipart/form-data POST per run (the files, their signatures, the manifest last)'),
  headersFromEnv: z.record(headerName, envName).default({}).describe('Request headers whose values are secrets: header name → environment variable (e.g. Authorization: FINANCE_FEED_TOKEN)'),
  attempts: z.number().int().min(1).max(100).default(8).describe('Attempts before the delivery is a dead letter (replay it to start again)'),
  backoffMs: z.number().int().min(1).max(3_600_000).default(1000).describe('First retry delay; doubles per attempt, with jitter; Retry-After is honoured when longer'),
  maxBackoffMs: z.number().int().min(1).max(86_400_000).default(300_000).describe('Longest retry delay'),
  timeoutMs: z.number().int().min(1).max(600_000).default(60_000).describe('One attempt\'s time limit'),
});

export const feedSchema = z.strictObject({
  receiver: systemNameSchema.default('finance').describe('The policy target (targets.<receiver> in the policy file) whose projection every column goes through'),
  formats: z
    .array(z.enum(FEED_FORMATS))
    .min(1)
    .refine((f) => new Set(f).size === f.length, 'lists a format twice')
    .default(['csv', 'jsonl'])
    .describe('csv (RFC 4180, UTF-8, header row) and/or jsonl (JSON Lines)'),
  columns: z.array(columnRef).min(1).max(100).default([...DEFAULT_FEED_COLUMNS]).describe('Columns of the receivables file, in order; each must be a field the receiver may read'),
  asOf: z.enum(['today', 'yesterday']).default('today').describe('The date receivables are aged as of, in the business time zone (finance.timeZone)'),
  schedule: z
    .strictObject({
      cron: z.string().min(1).max(120).describe('Cron pattern (minute hour day month weekday, optionally seconds first), e.g. "0 6 * * 1-5"'),
      timeZone: timeZoneSchema.optional().describe('Time zone of the cron pattern; default finance.timeZone'),
    })
    .optional()
    .describe('When the workers run the feed; without one it runs on request only'),
  delivery: z
    .strictObject({
      dir: z.string().min(1).optional().describe('A folder (relative to this file\'s folder) the files are written to, each appearing whole, the manifest last; it must exist and be writable'),
      http: feedHttpSchema.optional(),
    })
    .default({})
    .describe('Where a run\'s files go besides the hub\'s own archive (<dataDir>/feeds/<feed>/<sequence>/)'),
  encryptFor: z.string().min(1).optional().describe('PEM file (relative to this file\'s folder) of the recipient\'s RSA public key: the files are encrypted for it (AES-256-GCM, key wrapped with RSA-OAEP-256)'),
});

export const feedsSectionSchema = z
  .record(feedNameSchema, feedSchema)
  .default(() => ({ 'finance-daily': feedSchema.parse({}) }))
  .describe('Receivables feeds for finance, by name; default: finance-daily (see docs/feeds.md)');

export type FeedsSection = z.output<typeof feedsSectionSchema>;
export type FeedSection = z.output<typeof feedSchema>;

/** One feed, resolved: paths absolute, secrets read, the recipient key loaded. */
export interface FeedConfig {
  readonly name: string;
  readonly receiver: string;
  readonly formats: readonly FeedFormat[];
  readonly columns: readonly FeedColumn[];
  readonly asOf: 'today' | 'yesterday';
  /** The business time zone (finance.timeZone) the as-of date is taken in. */
  readonly timeZone: string;
  readonly schedule?: { readonly cron: string; readonly timeZone: string } | undefined;
  readonly delivery: {
    readonly dir?: string | undefined;
    readonly http?: { readonly url: string; readonly headers: Readonly<Record<string, string>>; readonly attempts: number; readonly backoffMs: number; readonly maxBackoffMs: number; readonly timeoutMs: number } | undefined;
  };
  readonly encryptFor?: { readonly file: string; readonly publicKey: string; readonly keyId: string } | undefined;
}

export interface FeedResolveContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Folder relative paths are resolved against (the configuration file's, else the working directory). */
  readonly base: string;
  /** Prefix of problem pointers (`<config file>#`). */
  readonly source: string;
  readonly policy: PolicyEngine | undefined;
  readonly catalog: FieldCatalog;
  readonly timeZone: string;
  /** Throws when a cron pattern is one the scheduler cannot run (BullMQ's own parser). */
  readonly checkCron: (pattern: string, timeZone: string) => void;
}

/** Resolves and checks every feed, adding what is wrong to `problems` (each naming its field). */
export function resolveFeeds(section: FeedsSection, ctx: FeedResolveContext, problems: FieldProblem[]): Map<string, FeedConfig> {
  const out = new Map<string, FeedConfig>();
  for (const [name, f] of Object.entries(section)) {
    const at = `${ctx.source}#/feeds/${name}`;
    const before = problems.length;
    if (ctx.policy) problems.push(...checkFeedColumns(ctx.policy, ctx.catalog, f.receiver, f.columns, at));
    let schedule: FeedConfig['schedule'];
    if (f.schedule) {
      const timeZone = f.schedule.timeZone ?? ctx.timeZone;
      try {
        ctx.checkCron(f.schedule.cron, timeZone);
        schedule = { cron: f.schedule.cron, timeZone };
      } catch (error) {
        problems.push({ pointer: `${at}/schedule/cron`, detail: `is not a cron pattern the scheduler can run: ${(error as Error).message}` });
      }
    }
    let dir: string | undefined;
    if (f.delivery.dir !== undefined) {
      dir = resolve(ctx.base, f.delivery.dir);
      const problem = !existsSync(dir) ? `the folder ${dir} does not exist` : !statSync(dir).isDirectory() ? `${dir} is not a folder` : writableProblem(dir);
      if (problem) problems.push({ pointer: `${at}/delivery/dir`, detail: problem });
    }
    let http: FeedConfig['delivery']['http'];
    if (f.delivery.http) {
      const h = f.delivery.http;
      const headers: Record<string, string> = {};
      for (const [header, variable] of Object.entries(h.headersFromEnv)) {
        const value = ctx.env[variable];
        if (!value) problems.push({ pointer: `${at}/delivery/http/headersFromEnv/${header}`, detail: `the environment variable ${variable} is not set` });
        else headers[header] = value;
      }
      if (h.maxBackoffMs < h.backoffMs) problems.push({ pointer: `${at}/delivery/http/maxBackoffMs`, detail: 'must not be shorter than backoffMs' });
      http = { url: h.url, headers, attempts: h.attempts, backoffMs: h.backoffMs, maxBackoffMs: h.maxBackoffMs, timeoutMs: h.timeoutMs };
    }
    let encryptFor: FeedConfig['encryptFor'];
    if (f.encryptFor !== undefined) {
      const file = resolve(ctx.base, f.encryptFor);
      if (!existsSync(file)) problems.push({ pointer: `${at}/encryptFor`, detail: `the file ${file} does not exist` });
      else {
        const publicKey = readFileSync(file, 'utf8');
        const problem = recipientKeyProblem(publicKey);
        if (problem) problems.push({ pointer: `${at}/encryptFor`, detail: `${file} ${problem}` });
        else encryptFor = { file, publicKey, keyId: keyIdOf(publicKey) };
      }
    }
    if (problems.length > before) continue;
    out.set(name, {
      name,
      receiver: f.receiver,
      formats: f.formats,
      columns: f.columns.map(feedColumn),
      asOf: f.asOf,
      timeZone: ctx.timeZone,
      schedule,
      delivery: { dir, http },
      encryptFor,
    });
  }
  return out;
}

function writableProblem(dir: string): string | undefined {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return undefined;
  } catch {
    return `the folder ${dir} is not writable by this process`;
  }
}
