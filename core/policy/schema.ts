import { z } from 'zod';
import { ENTITY_NAMES } from '../model/entities.js';

/** Field actions, from most to least revealing; when several roles apply, the first wins. */
export const FIELD_ACTIONS = ['allow', 'mask', 'hash', 'encrypt', 'deny'] as const;
export type FieldAction = (typeof FIELD_ACTIONS)[number];

/** Display masks: `last4` keeps the last four characters, `email` keeps the first letter and the domain, `redact` shows only stars. */
export const MASKS = ['last4', 'email', 'redact'] as const;
export type MaskKind = (typeof MASKS)[number];

/** Built-in row scopes for roles: own (ownerId = the user), team (teamId = the user's team), subtree (the user's team and every team below it). */
export const ROW_SCOPES = ['all', 'own', 'team', 'subtree', 'none'] as const;
export type RowScopeName = (typeof ROW_SCOPES)[number];

const fieldList = z.array(z.string().min(1)).default([]);
const scalar = z.union([z.string(), z.number(), z.boolean()]);

const rows = z.union([
  z.enum(ROW_SCOPES),
  z.strictObject({ where: z.strictObject({ field: z.string().min(1), in: z.array(scalar).min(1) }) }).describe('Only rows whose field has one of these values'),
]);

export const entityRuleSchema = z.strictObject({
  rows: rows.default('none'),
  read: z
    .strictObject({
      allow: fieldList,
      mask: z.record(z.string(), z.enum(MASKS)).default({}),
      hash: fieldList,
      encrypt: fieldList,
    })
    .default({ allow: [], mask: {}, hash: [], encrypt: [] }),
  write: fieldList,
  delete: z.boolean().default(false),
});

const entities = z.partialRecord(z.enum(ENTITY_NAMES), entityRuleSchema);
const receiverName = z.string().regex(/^[a-z][a-z0-9_]{1,63}$/, 'must be lower_snake_case');

export const policyFileSchema = z.strictObject({
  version: z.literal(1),
  /** Named field lists, referred to as `$name` in any field list. */
  fieldSets: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/), z.array(z.string().min(1))).default({}),
  roles: z.record(receiverName, entities).default({}),
  targets: z
    .record(
      receiverName,
      z.strictObject({
        /** RSA public key (PEM) for `encrypt` rules, or `env:VAR` naming an environment variable holding it. */
        publicKey: z.string().optional(),
        entities,
      }),
    )
    .default({}),
});

export type PolicyFile = z.output<typeof policyFileSchema>;
export type EntityRule = z.output<typeof entityRuleSchema>;
