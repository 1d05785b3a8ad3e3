import { createSecretKey } from 'node:crypto';
import { ConfigError, type FieldProblem } from '../errors.js';
import { ENTITY_NAMES, type EntityName, type JsonObject, type JsonValue } from '../model/entities.js';
import { STRUCTURAL_FIELDS, fieldPaths, type FieldCatalog } from './catalog.js';
import { FIELD_ACTIONS, policyFileSchema, type EntityRule, type FieldAction, type MaskKind, type PolicyFile } from './schema.js';
import { encryptValue, hashValue, maskValue, receiverKey } from './values.js';

declare const projected: unique symbol;
/** A record as one receiver may see it. Only `PolicyEngine.project` makes these. */
export type Projected = JsonObject & { readonly [projected]: true };

/** Who receives a record: a principal with roles (and the user's place in the team tree), or a target. */
export interface Receiver {
  readonly kind: 'principal' | 'target';
  /** Role names, or the one target name. */
  readonly roles: readonly string[];
  readonly userId: string | null;
  readonly teamId: string | null;
  /** The user's team and every team below it. */
  readonly subtree: ReadonlySet<string>;
}

interface FieldDecision {
  readonly action: Exclude<FieldAction, 'deny'>;
  readonly mask?: MaskKind;
  /** The receiver (`role:x` / `target:y`) whose rule decided it: its key hashes the value. */
  readonly by: string;
}

/** One receiver's compiled rule for one entity. */
export interface CompiledRule {
  readonly receiver: string;
  readonly rows: EntityRule['rows'];
  readonly fields: ReadonlyMap<string, FieldDecision>;
  readonly write: ReadonlySet<string>;
  readonly delete: boolean;
}

/** Distinct values whose hash a projector remembers (per receiver key) before starting afresh. */
const HASH_CACHE_SIZE = 50_000;

const rank = (a: FieldAction) => FIELD_ACTIONS.indexOf(a);

function valueAt(record: JsonObject, path: string): JsonValue | undefined {
  let v: JsonValue | undefined = record;
  for (const part of path.split('.')) v = v && typeof v === 'object' && !Array.isArray(v) ? v[part] : undefined;
  return v;
}

/**
 * The policy engine: the one way records leave the hub. A policy file is checked against the field
 * catalogue when it loads (every problem listed, nothing allowed on failure) and compiled into
 * per-rule plans; projectors for each combination of rules are built once and cached.
 */
export class PolicyEngine {
  private readonly rules = new Map<string, Map<EntityName, CompiledRule>>();
  private readonly projectors = new Map<string, (record: JsonObject) => JsonObject>();
  private readonly publicKeys = new Map<string, string>();

  private constructor(
    readonly file: PolicyFile,
    private readonly catalog: FieldCatalog,
    private readonly secret: Buffer,
  ) {}

  /** Parses, checks and compiles a policy; throws a ConfigError listing every problem. */
  static load(data: unknown, catalog: FieldCatalog, secret: Buffer, source: string, env: Readonly<Record<string, string | undefined>> = process.env): PolicyEngine {
    const parsed = policyFileSchema.safeParse(data);
    if (!parsed.success) {
      throw new ConfigError(`The policy ${source} is invalid`, parsed.error.issues.map((i) => ({ pointer: `${source}#/${i.path.map(String).join('/')}`, detail: i.message })));
    }
    const engine = new PolicyEngine(parsed.data, catalog, secret);
    const problems = engine.compile(source, env);
    if (problems.length > 0) throw new ConfigError(`The policy ${source} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'})`, problems);
    return engine;
  }

  private compile(source: string, env: Readonly<Record<string, string | undefined>>): FieldProblem[] {
    const problems: FieldProblem[] = [];
    // Field sets may name other field sets; a cycle or a depth past 5 is an error, not a hang.
    const expand = (list: readonly string[], at: string, depth = 0): string[] =>
      list.flatMap((item, i) => {
        if (!item.startsWith('$')) return [item];
        const name = item.slice(1);
        // Own keys only: `$constructor` names no field set, it must not find Object.prototype's.
        const set = Object.hasOwn(this.file.fieldSets, name) ? this.file.fieldSets[name] : undefined;
        if (!set) problems.push({ pointer: `${at}/${i}`, detail: `unknown field set ${item}` });
        else if (depth >= 5) problems.push({ pointer: `${at}/${i}`, detail: `field set ${item} nests too deep (a cycle?)` });
        return set && depth < 5 ? expand(set, `${at}/${i}`, depth + 1) : [];
      });
    const receivers: [string, Partial<Record<EntityName, EntityRule>>][] = [
      ...Object.entries(this.file.roles).map(([n, e]) => [`role:${n}`, e] as [string, Partial<Record<EntityName, EntityRule>>]),
      ...Object.entries(this.file.targets).map(([n, t]) => [`target:${n}`, t.entities] as [string, Partial<Record<EntityName, EntityRule>>]),
    ];
    for (const [name, target] of Object.entries(this.file.targets)) {
      if (!target.publicKey) continue;
      const pem = target.publicKey.startsWith('env:') ? env[target.publicKey.slice(4)] : target.publicKey;
      if (!pem || !pem.includes('PUBLIC KEY')) problems.push({ pointer: `${source}#/targets/${name}/publicKey`, detail: 'is not a PEM public key (or names an unset environment variable)' });
      else this.publicKeys.set(`target:${name}`, pem);
    }
    for (const [receiver, entities] of receivers) {
      const byEntity = new Map<EntityName, CompiledRule>();
      const base = receiver.startsWith('role:') ? `/roles/${receiver.slice(5)}` : `/targets/${receiver.slice(7)}/entities`;
      for (const entity of ENTITY_NAMES) {
        const rule = entities[entity];
        if (!rule) continue;
        const at = `${source}#${base}/${entity}`;
        const known = new Set([...fieldPaths(this.catalog, entity), ...(this.catalog.get(entity)?.keys() ?? [])]);
        const fields = new Map<string, FieldDecision>();
        const put = (path: string, decision: FieldDecision, pointer: string) => {
          if (!known.has(path)) return problems.push({ pointer, detail: `${entity} has no field ${path}` });
          const subs = this.catalog.get(entity)?.get(path);
          // Default deny reaches inside structures: name their fields, so one added later stays hidden.
          if (subs && decision.action === 'allow') {
            return problems.push({ pointer, detail: `${path} is a structure: name the fields it may show (${[...subs].map((x) => `${path}.${x}`).join(', ')})` });
          }
          if (fields.has(path)) return problems.push({ pointer, detail: `${path} is given more than one action in this rule` });
          fields.set(path, decision);
        };
        expand(rule.read.allow, `${at}/read/allow`).forEach((p) => put(p, { action: 'allow', by: receiver }, `${at}/read/allow`));
        for (const [p, mask] of Object.entries(rule.read.mask)) put(p, { action: 'mask', mask, by: receiver }, `${at}/read/mask/${p}`);
        expand(rule.read.hash, `${at}/read/hash`).forEach((p) => put(p, { action: 'hash', by: receiver }, `${at}/read/hash`));
        const encrypt = expand(rule.read.encrypt, `${at}/read/encrypt`);
        if (encrypt.length > 0 && !this.publicKeys.has(receiver)) problems.push({ pointer: `${at}/read/encrypt`, detail: 'needs a publicKey for this receiver' });
        encrypt.forEach((p) => put(p, { action: 'encrypt', by: receiver }, `${at}/read/encrypt`));
        const write = new Set(expand(rule.write, `${at}/write`));
        for (const p of write) {
          if (!known.has(p)) problems.push({ pointer: `${at}/write`, detail: `${entity} has no field ${p}` });
          const subs = this.catalog.get(entity)?.get(p);
          const plainAt = (path: string) => fields.get(path)?.action === 'allow';
          // A writable structure must show some of its fields; at write time each field sent inside it
          // must be one the writer sees in plain form (see access.checkWrite).
          const plain = subs ? [...subs].some((x) => plainAt(`${p}.${x}`)) : plainAt(p);
          if (known.has(p) && !plain) problems.push({ pointer: `${at}/write`, detail: `${p} is writable but not readable in plain form` });
        }
        if (typeof rule.rows === 'object' && !known.has(rule.rows.where.field) && !(this.catalog.get(entity)?.has(rule.rows.where.field.split('.')[0] ?? ''))) {
          problems.push({ pointer: `${at}/rows/where/field`, detail: `${entity} has no field ${rule.rows.where.field}` });
        }
        if (typeof rule.rows === 'object' && receiver.startsWith('role:')) problems.push({ pointer: `${at}/rows`, detail: 'roles take all, own, team, subtree or none; where-filters are for targets' });
        byEntity.set(entity, { receiver, rows: rule.rows, fields, write, delete: rule.delete });
      }
      this.rules.set(receiver, byEntity);
    }
    return problems;
  }

  /** Role or target names the policy defines. */
  receivers(): string[] {
    return [...this.rules.keys()];
  }

  /** The rules that give a receiver any rows of an entity. */
  rulesFor(receiver: Receiver, entity: EntityName): CompiledRule[] {
    const prefix = receiver.kind === 'target' ? 'target:' : 'role:';
    return receiver.roles.map((r) => this.rules.get(prefix + r)?.get(entity)).filter((r): r is CompiledRule => !!r && r.rows !== 'none');
  }

  rule(receiverName: string, entity: EntityName): CompiledRule | undefined {
    return this.rules.get(receiverName)?.get(entity);
  }

  /** True when the rule's row scope contains the record. */
  inScope(rule: CompiledRule, receiver: Receiver, record: JsonObject): boolean {
    const rows = rule.rows;
    if (typeof rows === 'object') {
      const v = valueAt(record, rows.where.field);
      return v !== undefined && v !== null && typeof v !== 'object' && rows.where.in.includes(v);
    }
    switch (rows) {
      case 'all':
        return true;
      case 'own':
        return receiver.userId !== null && record['ownerId'] === receiver.userId;
      case 'team':
        return receiver.teamId !== null && record['teamId'] === receiver.teamId;
      case 'subtree':
        return typeof record['teamId'] === 'string' && receiver.subtree.has(record['teamId']);
      case 'none':
        return false;
    }
  }

  /** The rules of a receiver whose scope contains this record (empty: the record is invisible). */
  applicable(receiver: Receiver, entity: EntityName, record: JsonObject): CompiledRule[] {
    return this.rulesFor(receiver, entity).filter((r) => this.inScope(r, receiver, record));
  }

  /**
   * The record as this receiver may see it, or undefined when it may not see the record at all.
   * Fields no applicable rule names are absent; masked, hashed and encrypted fields are transformed.
   */
  project(receiver: Receiver, entity: EntityName, record: JsonObject): Projected | undefined {
    const rules = this.applicable(receiver, entity, record);
    if (rules.length === 0) return undefined;
    return this.projector(entity, rules)(record) as Projected;
  }

  private projector(entity: EntityName, rules: readonly CompiledRule[]): (record: JsonObject) => JsonObject {
    const single = rules.length === 1 ? (rules[0] as CompiledRule & { projectors?: Map<EntityName, (r: JsonObject) => JsonObject> }) : undefined;
    const cached = single ? single.projectors?.get(entity) : this.projectors.get(`${entity}|${rules.map((r) => r.receiver).join(',')}`);
    if (cached) return cached;
    const merged = new Map<string, FieldDecision>();
    for (const rule of rules) {
      for (const [path, d] of rule.fields) {
        const prev = merged.get(path);
        if (!prev || rank(d.action) < rank(prev.action)) merged.set(path, d);
      }
    }
    const fn = this.generate(entity, merged);
    if (single) (single.projectors ??= new Map()).set(entity, fn);
    else this.projectors.set(`${entity}|${rules.map((r) => r.receiver).join(',')}`, fn);
    return fn;
  }

  /**
   * Compiles a projection into one plain function with the field names written out, so that V8
   * builds each output object with a fixed shape. Field names come from the catalogue (the spec),
   * never from request data, and are quoted with JSON.stringify; transforms are passed in as values.
   */
  private generate(entity: EntityName, merged: ReadonlyMap<string, FieldDecision>): (record: JsonObject) => JsonObject {
    const helpers: ((v: JsonValue) => JsonValue)[] = [];
    const subs: string[] = [];
    const assign = (field: string, d: FieldDecision | 'copy', from = 'src'): string => {
      const k = JSON.stringify(field);
      if (d === 'copy' || d.action === 'allow') return `v = ${from}[${k}]; if (v !== undefined) out[${k}] = v;`;
      helpers.push(this.transform(d));
      return `v = ${from}[${k}]; if (v !== undefined) out[${k}] = v === null ? null : h[${helpers.length - 1}](v);`;
    };
    const body: string[] = [];
    for (const [field, inner] of this.catalog.get(entity) ?? []) {
      if (STRUCTURAL_FIELDS.has(field)) {
        body.push(assign(field, 'copy'));
        continue;
      }
      const whole = merged.get(field);
      // A whole object or list granted in plain form still carries only its known sub-fields: a
      // sub-field added to the model later (or a stray key in stored data) stays hidden.
      if (whole && (whole.action !== 'allow' || !inner)) {
        body.push(assign(field, whole));
        continue;
      }
      if (!inner) continue;
      const lines = [...inner].flatMap((sub) => {
        const d = whole ?? merged.get(`${field}.${sub}`);
        return d ? [assign(sub, d, 'o')] : [];
      });
      if (lines.length === 0) continue;
      const name = `sub${subs.length}`;
      subs.push(`function ${name}(o) { if (!o || typeof o !== 'object' || Array.isArray(o)) return null; const out = {}; let v; ${lines.join(' ')} return out; }`);
      const k = JSON.stringify(field);
      body.push(`v = src[${k}]; if (v !== undefined) out[${k}] = Array.isArray(v) ? v.map(${name}) : v === null ? null : ${name}(v);`);
    }
    const code = `${subs.join('\n')}\nreturn function project(src) { const out = {}; let v; ${body.join('\n')} return out; };`;
    return new Function('h', code)(helpers) as (record: JsonObject) => JsonObject;
  }

  /** The value transform of a mask, hash or encrypt decision. Hashes of repeated values are cached per key. */
  private transform(d: FieldDecision): (v: JsonValue) => JsonValue {
    switch (d.action) {
      case 'mask': {
        const mask = d.mask ?? 'redact';
        return (v) => maskValue(mask, v);
      }
      case 'hash': {
        const key = createSecretKey(receiverKey(this.secret, d.by));
        const cache = new Map<string, string>();
        return (v) => {
          const text = typeof v === 'string' ? v : JSON.stringify(v);
          let out = cache.get(text);
          if (out === undefined) {
            out = hashValue(key, text);
            if (cache.size >= HASH_CACHE_SIZE) cache.clear();
            cache.set(text, out);
          }
          return out;
        };
      }
      case 'encrypt': {
        const pem = this.publicKeys.get(d.by) ?? '';
        return (v) => encryptValue(pem, v);
      }
      default:
        return (v) => v;
    }
  }

  /** The decision for one field under one receiver's rule (for the matrix and the mapping check). */
  decision(receiverName: string, entity: EntityName, path: string): { action: FieldAction; mask?: MaskKind } {
    const rule = this.rule(receiverName, entity);
    if (!rule || rule.rows === 'none') return { action: 'deny' };
    if (STRUCTURAL_FIELDS.has(path)) return { action: 'allow' };
    const d = rule.fields.get(path) ?? (path.includes('.') ? undefined : rule.fields.get(path));
    return d ? { action: d.action, ...(d.mask ? { mask: d.mask } : {}) } : { action: 'deny' };
  }
}
