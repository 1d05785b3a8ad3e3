import { CodedError } from '../../core/errors.js';
import type { EntityName } from '../../core/model/entities.js';
import type { MappedPayload } from '../../core/model/mapped.js';
import type { Projected } from '../../core/policy/engine.js';
import type { Condition, Direction, FieldRule } from './spec.js';
import { TransformError, type CompiledTransform, type TransformContext } from './transforms.js';

/** Id links as a mapping sees them: hub id → external id (outbound), or external id → hub id (inbound). */
export interface MappingContext {
  link(entity: EntityName, id: string): string | undefined;
}

/** A record that cannot be mapped (a permanent, per-record failure). Names the field, never the value. */
export class MappingError extends CodedError {
  constructor(
    readonly mapping: string,
    readonly field: string,
    reason: string,
    code = 'mapping',
  ) {
    super(code, `${mapping}: ${field}: ${reason}`);
  }
}

/**
 * A lookup whose record has no id link in the system yet (code `unresolved_reference`): unlike a
 * refused value, it may map once the referenced record is delivered, so the queues retry it.
 */
export class MissingLinkError extends MappingError {
  constructor(
    mapping: string,
    field: string,
    readonly entity: EntityName,
  ) {
    super(mapping, field, `the ${entity} it refers to has no id link in this system yet`, 'unresolved_reference');
  }
}

type Src = Readonly<Record<string, unknown>>;
type Getter = (src: Src, ctx: MappingContext, t: TransformContext) => unknown;

interface MappingBase {
  readonly name: string;
  readonly connector: string;
  readonly entity: EntityName;
  readonly externalEntity: string;
  /**
   * The policy receiver of an outbound mapping (`target:<name>`): bound by the target's
   * configuration (`sync.targets.<name>.receiver`, default the connector's name), never by the file.
   */
  readonly target: string;
  /** Canonical field paths an outbound mapping reads (checked against the target's policy). */
  readonly reads: readonly string[];
  /** Top-level fields the mapping writes (canonical fields for an inbound mapping, the target's for an outbound one). */
  readonly writes: readonly string[];
  /** Entities its lookups refer to: a record waiting for one of them to be linked is tried again when it is. */
  readonly refers: readonly EntityName[];
}

/** Hub record → external payload. It takes only a record the policy projected, and makes what a connector takes. */
export interface OutboundMapping extends MappingBase {
  readonly direction: 'out';
  /** Maps one projected record; throws MappingError for a value it must refuse. */
  map(record: Projected, ctx: MappingContext): MappedPayload;
}

/** External record → canonical fields (a patch of a hub record). */
export interface InboundMapping extends MappingBase {
  readonly direction: 'in';
  /** Maps one external record; throws MappingError for a value it must refuse. */
  map(record: Src, ctx: MappingContext): Record<string, unknown>;
}

export type CompiledMapping = OutboundMapping | InboundMapping;

/** Returns a function reading a dotted path; split once, here, not per record. */
export function pathGetter(path: string): (src: Src) => unknown {
  const parts = path.split('.');
  if (parts.length === 1) {
    const key = parts[0] as string;
    return (src) => src[key];
  }
  return (src) => {
    let v: unknown = src;
    for (const p of parts) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Src)[p];
    }
    return v;
  };
}

export interface RuleCompiler {
  transforms(specs: readonly unknown[] | undefined, at: string): CompiledTransform[];
}

/** Compiles the field rules of one level (the record, or one element of an `each`) into one function. */
export function compileFields(mapping: string, rules: Readonly<Record<string, FieldRule>>, compiler: RuleCompiler, at = ''): (src: Src, ctx: MappingContext) => Record<string, unknown> {
  const steps = Object.entries(rules).map(([field, rule]) => [field, compileRule(mapping, `${at}${field}`, rule, compiler)] as const);
  // A dotted target (`billingAddress.city`) builds the nested object; the loader refuses a rule for
  // the whole object next to rules for its fields.
  const assign = (field: string): string => {
    const [top, ...rest] = field.split('.');
    if (rest.length === 0) return `out[${JSON.stringify(field)}] = v;`;
    return `{ const o = (out[${JSON.stringify(top)}] ??= {}); o[${JSON.stringify(rest.join('.'))}] = v; }`;
  };
  const body = steps.map(([field], i) => `v = g[${i}](src, ctx, t); if (v !== undefined) ${assign(field)}`).join('\n');
  return new Function('g', `return function level(src, ctx) { const t = { record: src }; const out = {}; let v;\n${body}\nreturn out; };`)(steps.map((s) => s[1])) as (src: Src, ctx: MappingContext) => Record<string, unknown>;
}

function chain(mapping: string, field: string, fns: readonly CompiledTransform[]): (v: unknown, t: TransformContext) => unknown {
  if (fns.length === 0) return (v) => v;
  return (v, t) => {
    let out = v;
    for (const f of fns) {
      try {
        out = f.fn(out, t);
      } catch (error) {
        if (error instanceof TransformError) throw new MappingError(mapping, field, error.message);
        throw error;
      }
    }
    return out;
  };
}

function compileRule(mapping: string, field: string, rule: FieldRule, compiler: RuleCompiler): Getter {
  if ('const' in rule) {
    const value = rule.const;
    return () => value;
  }
  if ('from' in rule) {
    const get = pathGetter(rule.from);
    const apply = chain(mapping, field, compiler.transforms(rule.transforms, field));
    const fallback = rule.default;
    return (src, _ctx, t) => {
      let v = get(src);
      if ((v === undefined || v === null) && fallback !== undefined) v = fallback;
      return apply(v, t);
    };
  }
  if ('lookup' in rule) {
    const get = pathGetter(rule.lookup.from);
    const entity = rule.lookup.entity;
    const apply = chain(mapping, field, compiler.transforms(rule.transforms, field));
    return (src, ctx, t) => {
      const id = get(src);
      if (id === undefined || id === null) return id;
      const linked = ctx.link(entity, String(id));
      if (linked === undefined) throw new MissingLinkError(mapping, field, entity);
      return apply(linked, t);
    };
  }
  if ('each' in rule) {
    const get = pathGetter(rule.each);
    const element = compileFields(mapping, rule.fields, compiler, `${field}.`);
    return (src, ctx) => {
      const list = get(src);
      if (list === undefined || list === null) return list;
      if (!Array.isArray(list)) throw new MappingError(mapping, field, 'expects a list');
      return list.map((item) => (item && typeof item === 'object' ? element(item as Src, ctx) : null));
    };
  }
  if ('first' in rule) {
    const get = pathGetter(rule.first);
    const meets = rule.where ? compileCondition(rule.where) : () => true;
    const then = compileRule(mapping, field, rule.then, compiler);
    return (src, ctx) => {
      const list = get(src);
      if (list === undefined || list === null) return list;
      if (!Array.isArray(list)) throw new MappingError(mapping, field, 'expects a list');
      const hit = list.find((item): item is Src => !!item && typeof item === 'object' && meets(item as Src));
      // Inside the element, transforms read the element's fields (as inside `each`).
      return hit === undefined ? null : then(hit, ctx, { record: hit });
    };
  }
  const meets = compileCondition(rule.when);
  const then = compileRule(mapping, field, rule.then, compiler);
  const otherwise = rule.else ? compileRule(mapping, field, rule.else, compiler) : () => undefined;
  return (src, ctx, t) => (meets(src) ? then(src, ctx, t) : otherwise(src, ctx, t));
}

/** A `when` / `where` test of a record: every part given must hold. */
function compileCondition(c: Condition): (src: Src) => boolean {
  const test = pathGetter(c.field);
  const { equals, exists } = c;
  const among = c.in ? new Set(c.in.map((v) => String(v))) : undefined;
  const other = c.equalsField === undefined ? undefined : pathGetter(c.equalsField);
  return (src) => {
    const v = test(src);
    let ok = true;
    if (exists !== undefined) ok &&= (v !== undefined && v !== null) === exists;
    if (equals !== undefined) ok &&= v === equals;
    if (among) ok &&= among.has(String(v));
    // Two absent fields are not "the same value": a missing field never matches.
    if (other) ok &&= v !== undefined && v !== null && v === other(src);
    return ok;
  };
}

/** The entities a mapping's lookups refer to (at any depth), sorted. */
export function lookupEntities(rules: Readonly<Record<string, FieldRule>>): EntityName[] {
  const out = new Set<EntityName>();
  const walk = (rule: FieldRule): void => {
    if ('lookup' in rule) out.add(rule.lookup.entity);
    else if ('each' in rule) Object.values(rule.fields).forEach(walk);
    else if ('first' in rule) walk(rule.then);
    else if ('when' in rule) {
      walk(rule.then);
      if (rule.else) walk(rule.else);
    }
  };
  Object.values(rules).forEach(walk);
  return [...out].sort();
}
