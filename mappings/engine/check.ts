import type { FieldProblem } from '../../core/errors.js';
import type { EntityName } from '../../core/model/entities.js';
import type { PolicyEngine } from '../../core/policy/engine.js';
import { checkMappingReads } from '../../core/policy/mapping-check.js';
import type { FieldType } from '../../core/model/spec-catalog.js';
import type { Condition, ConnectorSchema, ExternalField, FieldRule, MappingFile } from './spec.js';
import { compileTransform, valueMapOf, type CustomTransform, type ValueType } from './transforms.js';

/** What the checks know: canonical field types, required fields, connector schemas, the policy. */
export interface CheckContext {
  readonly types: ReadonlyMap<EntityName, ReadonlyMap<string, FieldType>>;
  readonly required: ReadonlyMap<EntityName, readonly string[]>;
  readonly connectors: ReadonlyMap<string, ConnectorSchema>;
  readonly policy: PolicyEngine;
  readonly custom: ReadonlyMap<string, CustomTransform>;
  /**
   * The policy receiver bound to a connector's outbound mappings (its target's `receiver`); default:
   * the connector's name. Undefined: the connector delivers nothing (not a sync target, and no policy
   * receiver of its name), so what its outbound mappings read is checked when it becomes a target.
   */
  readonly receiverOf?: ((connector: string) => string | undefined) | undefined;
}

/** A field as the checks see it on either side: its type and enum, and its element fields. */
interface Side {
  field(path: string): { type: ValueType; enum?: readonly string[] | undefined } | undefined;
  /** The side seen from inside an element of the list at `path`. */
  inside(path: string): Side | undefined;
  required(): string[];
}

function canonicalSide(types: ReadonlyMap<string, FieldType>, required: readonly string[], prefix = ''): Side {
  return {
    field: (p) => types.get(prefix + p),
    inside: (p) => (types.get(prefix + p) ? canonicalSide(types, [], `${prefix}${p}.`) : undefined),
    required: () => [...required],
  };
}

function externalSide(fields: Readonly<Record<string, ExternalField>>): Side {
  const at = (path: string): ExternalField | undefined => {
    let current: Readonly<Record<string, ExternalField>> | undefined = fields;
    let found: ExternalField | undefined;
    for (const part of path.split('.')) {
      found = current?.[part];
      current = found?.fields;
    }
    return found;
  };
  return {
    field: (p) => {
      const f = at(p);
      return f ? { type: f.type, enum: f.enum } : undefined;
    },
    inside: (p) => {
      const f = at(p);
      return f?.fields ? externalSide(f.fields) : undefined;
    },
    required: () => Object.entries(fields).filter(([, f]) => f.required).map(([k]) => k),
  };
}

const CONST_FORMATS: Partial<Record<ValueType, RegExp>> = {
  decimal: /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  datetime: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
};

const compatible = (got: ValueType, want: ValueType) => got === want || got === 'any' || want === 'any' || (got === 'integer' && want === 'number');

/**
 * Checks a mapping (with its inherited rules resolved) against both sides and the policy, and
 * returns every problem, each naming the file, the rule and the reason.
 */
export function checkMapping(file: MappingFile, rules: Readonly<Record<string, FieldRule>>, source: string, ctx: CheckContext): { problems: FieldProblem[]; reads: string[] } {
  const problems: FieldProblem[] = [];
  const reads: string[] = [];
  const readAt = new Map<string, string>();
  const connector = ctx.connectors.get(file.connector);
  const external = connector?.entities[file.externalEntity];
  if (!connector) return { problems: [{ pointer: `${source}#/connector`, detail: `no schema is declared for connector ${file.connector}` }], reads };
  if (!external) return { problems: [{ pointer: `${source}#/externalEntity`, detail: `${file.connector} declares no entity ${file.externalEntity}` }], reads };
  const canonical = canonicalSide(ctx.types.get(file.entity) ?? new Map(), ctx.required.get(file.entity) ?? []);
  const ext = externalSide(external.fields);
  const [from, to] = file.direction === 'out' ? [canonical, ext] : [ext, canonical];
  const fromName = file.direction === 'out' ? file.entity : `${file.connector} ${file.externalEntity}`;
  const toName = file.direction === 'out' ? `${file.connector} ${file.externalEntity}` : file.entity;

  const level = (levelRules: Readonly<Record<string, FieldRule>>, src: Side, dst: Side, srcPrefix: string, pointer: string, isTop: boolean) => {
    for (const [target, rule] of Object.entries(levelRules)) {
      const at = `${source}#${pointer}/${target}`;
      if (target.split('.').length > 2) problems.push({ pointer: at, detail: 'target paths go one level deep (object.field)' });
      const top = target.split('.')[0] ?? target;
      if (top !== target && top in levelRules) problems.push({ pointer: at, detail: `${top} is mapped whole by another rule; map it whole or field by field, not both` });
      const want = dst.field(target);
      if (!want) problems.push({ pointer: at, detail: `${toName} has no field ${target}` });
      checkRule(rule, target, want?.type, at, { src, dst, prefix: srcPrefix, pointer });
    }
    for (const req of dst.required()) {
      if (!(req in levelRules)) problems.push({ pointer: `${source}#${pointer}`, detail: `required ${toName} field ${req}${isTop ? '' : ' (in each element)'} is not mapped` });
    }
  };

  /** Where a rule reads from: the source side (the record, or one element of a list) and its path prefix. */
  interface Scope {
    readonly src: Side;
    readonly dst: Side;
    readonly prefix: string;
    readonly pointer: string;
  }

  function readSource(path: string, at: string, scope: Scope, structure = false): { type: ValueType; enum?: readonly string[] | undefined } | undefined {
    const f = scope.src.field(path);
    if (!f) {
      problems.push({ pointer: at, detail: `${fromName} has no field ${scope.prefix}${path}` });
      return undefined;
    }
    // Iterating a list reads only the element fields the rules name, checked one by one.
    if (file.direction === 'out' && !structure) {
      reads.push(scope.prefix + path);
      if (!readAt.has(scope.prefix + path)) readAt.set(scope.prefix + path, at);
    }
    return f;
  }

  function readCondition(c: Condition, at: string, scope: Scope): void {
    readSource(c.field, at, scope);
    if (c.equalsField !== undefined) readSource(c.equalsField, at, scope);
  }

  function checkRule(rule: FieldRule, target: string, want: ValueType | undefined, at: string, scope: Scope): void {
    let got: ValueType = 'any';
    if ('const' in rule) {
      got = rule.const === null ? 'any' : typeof rule.const === 'string' ? 'string' : typeof rule.const === 'boolean' ? 'boolean' : Number.isInteger(rule.const) ? 'integer' : 'number';
      // A constant written as a decimal or date string is that type ('0', '2026-01-31').
      if (typeof rule.const === 'string' && want && CONST_FORMATS[want]?.test(rule.const)) got = want;
    } else if ('from' in rule || 'lookup' in rule) {
      const path = 'from' in rule ? rule.from : rule.lookup.from;
      const f = readSource(path, at, scope);
      got = 'lookup' in rule ? 'string' : (f?.type ?? 'any');
      if ('lookup' in rule && !connector?.links.includes(rule.lookup.entity)) {
        problems.push({ pointer: `${at}/lookup`, detail: `${file.connector} keeps no id links for ${rule.lookup.entity}` });
      }
      (rule.transforms ?? []).forEach((spec, i) => {
        const t = compileTransform(spec as never, ctx.custom);
        // After a refused transform the type is unknown: report the cause once, not its echoes.
        if ('error' in t) {
          got = 'any';
          return problems.push({ pointer: `${at}/transforms/${i}`, detail: t.error });
        }
        for (const p of t.reads ?? []) readSource(p, `${at}/transforms/${i}`, scope);
        const map = valueMapOf(spec as never);
        if (map && !map.hasFallback && i === 0 && f?.enum) {
          const gaps = f.enum.filter((v) => !map.keys.includes(v));
          if (gaps.length) problems.push({ pointer: `${at}/transforms/${i}`, detail: `value map has no entry for ${gaps.join(', ')} (add them or a fallback)` });
        }
        const next = t.outputFor(got);
        if (typeof next === 'object') {
          problems.push({ pointer: `${at}/transforms/${i}`, detail: next.error });
          got = 'any';
        } else got = next;
      });
    } else if ('each' in rule) {
      const f = readSource(rule.each, at, scope, true);
      const innerSrc = scope.src.inside(rule.each);
      const innerDst = scope.dst.inside(target);
      if (f && f.type !== 'array' && f.type !== 'any') problems.push({ pointer: at, detail: `each reads ${rule.each}, which is not a list` });
      if (innerSrc && innerDst) level(rule.fields, innerSrc, innerDst, `${scope.prefix}${rule.each}.`, `${scope.pointer}/${target}/fields`, false);
      got = 'array';
    } else if ('first' in rule) {
      const f = readSource(rule.first, at, scope, true);
      if (f && f.type !== 'array' && f.type !== 'any') problems.push({ pointer: at, detail: `first reads ${rule.first}, which is not a list` });
      const inner = scope.src.inside(rule.first);
      // The rules inside read the element's fields; what they give goes to this target field.
      if (inner) {
        const element: Scope = { ...scope, src: inner, prefix: `${scope.prefix}${rule.first}.` };
        if (rule.where) readCondition(rule.where, `${at}/where`, element);
        checkRule(rule.then, target, want, `${at}/then`, element);
      }
      return;
    } else {
      readCondition(rule.when, `${at}/when`, scope);
      checkRule(rule.then, target, want, `${at}/then`, scope);
      if (rule.else) checkRule(rule.else, target, want, `${at}/else`, scope);
      return;
    }
    if (want && !compatible(got, want)) problems.push({ pointer: at, detail: `gives ${got} but ${toName}.${target} takes ${want} (add a transform)` });
  }

  level(rules, from, to, '', '/fields', true);
  const target = ctx.receiverOf ? ctx.receiverOf(file.connector) : file.connector;
  if (file.direction === 'out' && target !== undefined) {
    for (const p of checkMappingReads(ctx.policy, { name: file.name, target, entity: file.entity, reads: [...new Set(reads)] })) {
      const field = p.pointer.split('#')[1] ?? '';
      problems.push({ pointer: readAt.get(field) ?? `${source}#/fields`, detail: p.detail });
    }
  }
  return { problems, reads: [...new Set(reads)] };
}
