import { z } from 'zod';
import { ENTITY_NAMES } from '../model/entities.js';
import { parseCidr } from '../net/ip.js';

/**
 * The sections of `hub.config.yaml` that belong to core (security, auth, roles, orders, policy,
 * ownership, logging), and the names every layer's sections share. The whole file's schema is
 * assembled above every layer (hub/config/schema.ts), from these, the connector modules' schemas and
 * the sync section (queues/config.ts).
 */

const cidr = z.string().refine((v) => parseCidr(v) !== undefined, { message: 'is not an IPv4/IPv6 address or CIDR range' });

/** A system's name: the key under `connectors:`, `sync.targets:` and `sync.sources:`, and its mappings' connector. */
export const systemNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be lower_snake_case (a mapping connector name), at most 64 characters');

/** A non-empty list of canonical entity names. */
export const entitiesSchema = z.array(z.enum(ENTITY_NAMES)).min(1).describe('Canonical entities');

/** An IANA time zone name the runtime knows (`Europe/Berlin`, `Asia/Shanghai`, `UTC`). */
export const timeZoneSchema = z.string().min(1).max(64).refine(isTimeZone, { message: 'is not an IANA time zone name (e.g. Europe/Berlin, Asia/Shanghai, UTC)' });

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

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

/** Core's sections of the configuration file, by top-level key. */
export const coreSections = {
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
  finance: z
    .strictObject({
      timeZone: timeZoneSchema.default('UTC').describe('The business time zone: "today" for aging, overdue receivables and report periods is the calendar date here'),
    })
    .default({ timeZone: 'UTC' })
    .describe('How receivables are aged and reported'),
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
  logging: z
    .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
    .default({ level: 'info' }),
};

export type SecuritySection = z.output<typeof coreSections.security>;
export type OrdersSection = z.output<typeof coreSections.orders>;
export type FinanceSection = z.output<typeof coreSections.finance>;
