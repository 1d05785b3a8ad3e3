import { ForbiddenError, UnprocessableError, type FieldProblem } from '../errors.js';
import type { EntityName, JsonObject, JsonValue } from '../model/entities.js';
import type { CompiledRule, PolicyEngine, Receiver } from './engine.js';
import { looksProjected } from './values.js';

/** Row scope of a list as store conditions: unrestricted, any-of conditions, or nothing at all. */
export type RowScope = { kind: 'all' } | { kind: 'some'; anyOf: { field: string; values: string[] }[] } | { kind: 'nothing' };

/** The rules that let a receiver read an entity; none means the entity is closed to it (403). */
export function readableRules(engine: PolicyEngine, receiver: Receiver, entity: EntityName, plural: string): CompiledRule[] {
  const rules = engine.rulesFor(receiver, entity);
  if (rules.length === 0) throw new ForbiddenError(`You may not read ${plural}`);
  return rules;
}

export function rowScope(rules: readonly CompiledRule[], receiver: Receiver): RowScope {
  if (rules.some((r) => r.rows === 'all')) return { kind: 'all' };
  const anyOf: { field: string; values: string[] }[] = [];
  for (const r of rules) {
    if (r.rows === 'own' && receiver.userId) anyOf.push({ field: 'ownerId', values: [receiver.userId] });
    if (r.rows === 'team' && receiver.teamId) anyOf.push({ field: 'teamId', values: [receiver.teamId] });
    if (r.rows === 'subtree' && receiver.subtree.size > 0) anyOf.push({ field: 'teamId', values: [...receiver.subtree] });
  }
  return anyOf.length > 0 ? { kind: 'some', anyOf } : { kind: 'nothing' };
}

/**
 * Filtering, sorting or searching on a field is allowed only when every rule that shows the caller
 * rows of the entity shows that field in plain form; otherwise the query itself would be an oracle.
 */
export function checkQueryFields(rules: readonly CompiledRule[], uses: readonly { param: string; fields: readonly string[] }[]): void {
  const problems: FieldProblem[] = [];
  for (const use of uses) {
    const hidden = use.fields.some((f) => f !== 'id' && !rules.every((r) => r.fields.get(f)?.action === 'allow'));
    if (hidden) problems.push({ pointer: `/query/${use.param}`, detail: 'refers to a field you cannot see in plain form' });
  }
  if (problems.length > 0) throw new UnprocessableError('The query uses fields you cannot see', problems).withStatus(400);
}

function scanProjected(value: JsonValue, pointer: string, problems: FieldProblem[]): void {
  if (looksProjected(value)) problems.push({ pointer, detail: 'is a masked, hashed or encrypted value; send the real value or leave the field out' });
  else if (Array.isArray(value)) value.forEach((v, i) => scanProjected(v, `${pointer}/${i}`, problems));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) scanProjected(v, `${pointer}/${k}`, problems);
}

/** Field paths a write touches: `name`, or `lines.unitPrice` for each key inside an object or array of objects. */
function touchedPaths(input: JsonObject): { top: string; subs: string[] }[] {
  return Object.entries(input).map(([top, v]) => {
    const items = Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : [];
    const subs = new Set<string>();
    for (const item of items) if (item && typeof item === 'object' && !Array.isArray(item)) for (const k of Object.keys(item)) subs.add(k);
    return { top, subs: [...subs] };
  });
}

/**
 * May this receiver make this write? The record before (for changes and deletes) and after must
 * both lie inside the scope of a rule that grants write on every field the input names. Values
 * the projection produced (masks, hashes, ciphertexts) are refused. Throws 403 or 422; changes nothing.
 */
export function checkWrite(engine: PolicyEngine, receiver: Receiver, entity: EntityName, before: JsonObject | undefined, input: JsonObject, after: JsonObject): void {
  const problems: FieldProblem[] = [];
  scanProjected(input, '', problems);
  if (problems.length > 0) throw new UnprocessableError('The write carries values the hub produced for display', problems);
  const rules = engine.rulesFor(receiver, entity).filter((r) => (!before || engine.inScope(r, receiver, before)) && engine.inScope(r, receiver, after) && r.write.size > 0);
  if (rules.length === 0) {
    throw new ForbiddenError(before ? 'You may not change this record, or not move it where you cannot see it' : 'You may not create this record here (check ownerId and teamId)');
  }
  for (const { top, subs } of touchedPaths(input)) {
    const plain = (r: CompiledRule, path: string) => r.fields.get(path)?.action === 'allow';
    const ok = rules.some((r) =>
      subs.length > 0
        ? subs.every((s) => (r.write.has(top) && plain(r, `${top}.${s}`)) || r.write.has(`${top}.${s}`))
        : r.write.has(top),
    );
    if (!ok) problems.push({ pointer: `/${top}`, detail: 'you may not change this field' });
  }
  if (problems.length > 0) throw new ForbiddenError('The write names fields you may not change', problems);
}

export function checkDelete(engine: PolicyEngine, receiver: Receiver, entity: EntityName, record: JsonObject): void {
  if (!engine.applicable(receiver, entity, record).some((r) => r.delete)) throw new ForbiddenError('You may not delete this record');
}

/**
 * May a report sum, count or group by these fields? Only when every rule that shows the caller rows
 * of the entity shows each of them in plain form — the same test as for a filter (checkQueryFields),
 * but a refusal is a 403: the report as a whole is not for this caller. There is no partial answer:
 * a sum over values the caller may not see, or a count of rows it could not tell apart without
 * them, would disclose them. Each problem names the field (or the parameter that chose it).
 */
export function checkReportFields(rules: readonly CompiledRule[], entity: EntityName, uses: readonly { readonly field: string; readonly pointer: string }[]): void {
  const problems: FieldProblem[] = [];
  for (const { field, pointer } of uses) {
    if (!rules.every((r) => r.fields.get(field)?.action === 'allow')) problems.push({ pointer, detail: `the report uses the ${entity}'s ${field}, which you may not see in plain form` });
  }
  if (problems.length > 0) throw new ForbiddenError(`You may not see every field this report of ${entity} records uses`, problems);
}
