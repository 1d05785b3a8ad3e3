import { z } from 'zod';
import { ENTITY_NAMES } from '../../core/model/entities.js';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const transform = z.union([z.string(), z.record(z.string(), z.unknown())]);
const path = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'must be a field path such as name or billingAddress.city');

/**
 * A test of a record's field (all given parts must hold): `equals` a value, `in` a list (compared as
 * text), `exists` (not null), or `equalsField`: the same value as another field of the record.
 */
export interface Condition {
  field: string;
  equals?: string | number | boolean | null;
  in?: (string | number | boolean | null)[];
  exists?: boolean;
  equalsField?: string;
}

/**
 * One target field's rule. Exactly one of from / const / lookup / each / first / when says where the
 * value comes from. `first` applies `then` to the first element of a list that meets `where` (null
 * when none does: the target field is cleared).
 */
export type FieldRule =
  | { from: string; transforms?: unknown[]; default?: string | number | boolean | null }
  | { const: string | number | boolean | null }
  | { lookup: { entity: (typeof ENTITY_NAMES)[number]; from: string }; transforms?: unknown[] }
  | { each: string; fields: Record<string, FieldRule> }
  | { first: string; where?: Condition; then: FieldRule }
  | { when: Condition; then: FieldRule; else?: FieldRule };

const condition = z.strictObject({ field: path, equals: scalar.optional(), in: z.array(scalar).optional(), exists: z.boolean().optional(), equalsField: path.optional() });

export const fieldRuleSchema: z.ZodType<FieldRule> = z.lazy(() =>
  z.union([
    z.strictObject({ from: path, transforms: z.array(transform).optional(), default: scalar.optional() }),
    z.strictObject({ const: scalar }),
    z.strictObject({ lookup: z.strictObject({ entity: z.enum(ENTITY_NAMES), from: path }), transforms: z.array(transform).optional() }),
    z.strictObject({ each: path, fields: z.record(z.string(), fieldRuleSchema) }),
    z.strictObject({ first: path, where: condition.optional(), then: fieldRuleSchema }),
    z.strictObject({ when: condition, then: fieldRuleSchema, else: fieldRuleSchema.optional() }),
  ]),
) as z.ZodType<FieldRule>;

export const DIRECTIONS = ['out', 'in'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** A mapping file: one connector × entity × direction. */
export const mappingFileSchema = z.strictObject({
  /** Unique id, e.g. `erpnext.customer.out`; a user file with the same id replaces the default. */
  name: z.string().regex(/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/),
  connector: z.string().regex(/^[a-z][a-z0-9_]*$/),
  entity: z.enum(ENTITY_NAMES),
  direction: z.enum(DIRECTIONS),
  /** The entity in the external system's declared schema, e.g. `Customer`. */
  externalEntity: z.string().min(1),
  /**
   * Refused: the policy receiver whose projection an outbound mapping reads is bound by the target's
   * configuration (`sync.targets.<name>.receiver`), so a mapping file cannot borrow another, more
   * generous target's policy.
   */
  target: z.never({ error: 'is not set in a mapping file: the policy receiver is bound by the target\'s configuration (sync.targets.<name>.receiver in hub.config.yaml), so a mapping cannot pick another target\'s policy' }).optional(),
  /** Another mapping whose field rules this one starts from (a user file extends a default). */
  extends: z.string().optional(),
  /** Field rules by target field; `null` removes a rule inherited through `extends`. */
  fields: z.record(z.string(), z.union([fieldRuleSchema, z.null()])),
});
export type MappingFile = z.output<typeof mappingFileSchema>;

export const EXTERNAL_TYPES = ['string', 'decimal', 'number', 'integer', 'boolean', 'date', 'datetime', 'object', 'array', 'any'] as const;

export interface ExternalField {
  type: (typeof EXTERNAL_TYPES)[number];
  required?: boolean | undefined;
  enum?: string[] | undefined;
  fields?: Record<string, ExternalField> | undefined;
}

const externalField: z.ZodType<ExternalField> = z.lazy(() =>
  z.strictObject({
    type: z.enum(EXTERNAL_TYPES),
    required: z.boolean().optional(),
    enum: z.array(z.string()).optional(),
    /** Fields of each element (arrays) or of the object. */
    fields: z.record(z.string(), externalField).optional(),
  }),
) as z.ZodType<ExternalField>;

/** A connector's declared schema: its entities and fields, and which hub entities it keeps id links for. */
export const connectorSchemaSchema = z.strictObject({
  connector: z.string().regex(/^[a-z][a-z0-9_]*$/),
  links: z.array(z.enum(ENTITY_NAMES)).default([]),
  entities: z.record(z.string(), z.strictObject({ fields: z.record(z.string(), externalField) })),
});
export type ConnectorSchema = z.output<typeof connectorSchemaSchema>;
