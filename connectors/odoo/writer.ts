import { ConnectorError, type RecordOutcome, type UpsertRequest } from '../contract.js';
import { sendEach } from '../http/outcomes.js';
import { failedOutcome, OdooAuthError, OdooCallError } from './errors.js';
import { ORDER_LINE_FIELDS, type OdooEntity } from './models.js';
import { checkRow, PayloadError, sameValue, toVals, type CodeResolver, type Row } from './records.js';
import type { OdooRpc } from './rpc.js';

/**
 * Creates and updates records one by one (each Odoo call is its own transaction, so one refused
 * record refuses only itself), and archives for deletes.
 *
 * - An update goes to the id the hub linked the record to (`write([id], vals)`, answered `true`).
 * - A create first looks for a record already holding the payload's lookup field (a partner's `ref`, a
 *   product's `default_code`, an order's `client_order_ref`: what the default mappings write the hub's
 *   key to), so a create whose answer was lost is not made twice; one found is updated, two are a
 *   permanent `ambiguous_lookup`. `create([vals])` answers the new ids.
 * - Order lines (`order_line`, a plain list of line values in the payload) are written as one2many
 *   commands: `[0, 0, vals]` creates, `[1, id, vals]` updates an existing line in place (only what
 *   changed), `[2, id]` removes one; never `[5]` and re-create, which would lose the lines' delivered
 *   and invoiced quantities. A payload line is the existing line of the same product (the first not
 *   yet taken, in sequence order); a line whose product changed is a removal and an addition (Odoo
 *   refuses to change the product of a delivered or invoiced line). A confirmed order (state `sale`) refuses to lose a line ("Once a sales order is confirmed,
 *   you can't remove one of its lines … Set the quantity to 0 instead", sale_order_line.py
 *   `_unlink_except_confirmed`), so there a dropped line gets quantity 0 instead.
 */

export interface OdooWriterOptions {
  readonly rpc: OdooRpc;
  readonly resolve: CodeResolver;
}

type Command = [0, 0, Row] | [1, number, Row] | [2, number];

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export function createOdooWriter(options: OdooWriterOptions) {
  const { rpc, resolve } = options;

  /** Ids of records holding each lookup value (archived ones too). */
  async function lookup(name: string, entity: OdooEntity, values: readonly string[]): Promise<Map<string, number[]>> {
    const field = entity.lookupField!;
    const found = new Map<string, number[]>();
    if (values.length === 0) return found;
    const answer = await rpc.call({ model: entity.model, method: 'search_read', args: { domain: [...(entity.lookupDomain ?? []), [field, 'in', [...new Set(values)]]] }, kwargs: { fields: ['id', field] }, context: { active_test: false } });
    if (!Array.isArray(answer)) throw new OdooCallError('retryable', 'invalid_response', `odoo ${name}: the lookup by ${field} did not answer a list`);
    for (const raw of answer) {
      const row = checkRow(raw, `odoo ${name} lookup`);
      // A server that ignored the filter would answer other records: only rows showing the value count.
      const value = text(row[field]);
      if (value !== undefined && values.includes(value)) found.set(value, [...(found.get(value) ?? []), row['id'] as number]);
    }
    return found;
  }

  /** The lines' values from the payload (null values left out: Odoo computes a line's name itself). */
  async function desiredLines(field: string, value: unknown): Promise<Row[]> {
    if (!Array.isArray(value)) throw new PayloadError(field, 'is not a list of lines');
    return Promise.all(
      value.map(async (line, i) => {
        if (typeof line !== 'object' || line === null || Array.isArray(line)) throw new PayloadError(`${field}.${i}`, 'is not an object');
        const present = Object.fromEntries(Object.entries(line as Row).filter(([, v]) => v !== null && v !== undefined));
        return toVals(present, ORDER_LINE_FIELDS, resolve, [], `${field}.${i}.`);
      }),
    );
  }

  /** The commands that turn an order's current lines into the payload's. */
  async function lineCommands(entity: OdooEntity, orderId: number, desired: Row[]): Promise<Command[]> {
    const lines = entity.lines!;
    const answer = await rpc.call({ model: lines.model, method: 'search_read', args: { domain: [['order_id', '=', orderId]] }, kwargs: { fields: ['id', 'sequence', 'display_type', 'product_id', 'name', 'product_uom_qty', 'price_unit', 'discount', 'state'], order: 'sequence asc, id asc' } });
    if (!Array.isArray(answer)) throw new OdooCallError('retryable', 'invalid_response', `odoo ${lines.model}: search_read did not answer a list`);
    const existing = answer.map((raw) => checkRow(raw, `odoo ${lines.model}`)).filter((l) => !l['display_type']);
    const confirmed = existing.some((l) => l['state'] === 'sale');
    const pairs = new Map<number, Row>();
    const free = new Set(existing);
    desired.forEach((want, i) => {
      const same = [...free].find((l) => sameValue(l['product_id'], want['product_id']));
      if (same) {
        pairs.set(i, same);
        free.delete(same);
      }
    });
    const commands: Command[] = [];
    desired.forEach((want, i) => {
      const line = pairs.get(i);
      if (!line) return commands.push([0, 0, want]);
      const changed = Object.fromEntries(Object.entries(want).filter(([k, v]) => !sameValue(line[k], v)));
      if (Object.keys(changed).length > 0) commands.push([1, line['id'] as number, changed]);
    });
    for (const line of free) {
      if (!confirmed) commands.push([2, line['id'] as number]);
      else if (!sameValue(line['product_uom_qty'], 0)) commands.push([1, line['id'] as number, { product_uom_qty: 0 }]);
    }
    return commands;
  }

  async function write(name: string, entity: OdooEntity, id: number, payload: Row): Promise<void> {
    const lines = entity.lines;
    const vals = await toVals(payload, entity.fields, resolve, lines ? [lines.field] : []);
    if (lines && payload[lines.field] !== undefined) {
      const commands = await lineCommands(entity, id, await desiredLines(lines.field, payload[lines.field]));
      if (commands.length > 0) vals[lines.field] = commands;
    }
    if (Object.keys(vals).length === 0) return;
    const answer = await rpc.call({ model: entity.model, method: 'write', ids: [id], args: { vals }, ...(entity.context ? { context: entity.context } : {}) });
    if (answer !== true) throw new OdooCallError('retryable', 'unknown_outcome', `odoo ${name}: write did not answer true`);
  }

  async function create(name: string, entity: OdooEntity, payload: Row): Promise<number> {
    const lines = entity.lines;
    const vals = await toVals(payload, entity.fields, resolve, lines ? [lines.field] : []);
    if (lines && payload[lines.field] !== undefined) vals[lines.field] = (await desiredLines(lines.field, payload[lines.field])).map((v): Command => [0, 0, v]);
    const context = { ...(entity.context ?? {}), ...(entity.createContext ?? {}) };
    const answer = await rpc.call({ model: entity.model, method: 'create', args: { vals_list: [vals] }, ...(Object.keys(context).length > 0 ? { context } : {}) });
    // Odoo answers the new ids (a list for a list of values). Anything else: it may have made the record,
    // so the outcome is unknown and a retry goes through the lookup.
    const id = Array.isArray(answer) && answer.length === 1 ? answer[0] : answer;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) throw new OdooCallError('retryable', 'unknown_outcome', `odoo ${name}: create did not answer the new record's id`);
    return id;
  }

  /** Refused credentials (OdooAuthError) concern every record alike. */
  const authFailure = (error: unknown) => (error instanceof OdooAuthError ? error : undefined);
  const isMissing = (error: unknown) => error instanceof OdooCallError && error.fault?.name === 'odoo.exceptions.MissingError';

  /**
   * One outcome per request, in order. After a retryable failure the rest are reported the same
   * without being sent (`attempted: false`); refused credentials throw.
   */
  async function upsert(name: string, entity: OdooEntity, requests: readonly UpsertRequest[]): Promise<RecordOutcome[]> {
    const field = entity.lookupField;
    if (field === undefined) throw new ConnectorError('permanent', 'not_writable', `odoo ${name} cannot be written`);
    const linked = (r: UpsertRequest) => (r.externalId !== undefined && /^[1-9][0-9]{0,15}$/.test(r.externalId) ? Number(r.externalId) : undefined);
    let found: Map<string, number[]>;
    try {
      found = await lookup(name, entity, requests.filter((r) => linked(r) === undefined).map((r) => text(r.payload[field])).filter((v): v is string => v !== undefined));
    } catch (error) {
      if (error instanceof OdooAuthError) throw error;
      // Nothing was sent for any record: the first carries the failure, the rest wait with it.
      const outcome = failedOutcome(error, undefined);
      return requests.map((_r, i) => (i > 0 && !outcome.ok && outcome.kind === 'retryable' ? { ...outcome, attempted: false as const } : outcome));
    }
    return sendEach(`odoo ${name}`, requests, async (request) => {
      const payload = request.payload as Row;
      let id = linked(request);
      if (id !== undefined) {
        try {
          await write(name, entity, id, payload);
          return { ok: true, externalId: String(id) };
        } catch (error) {
          // Deleted in Odoo since it was linked: made again (after the lookup).
          if (!isMissing(error)) throw error;
          found = new Map([...found, ...(await lookup(name, entity, [text(payload[field])].filter((v): v is string => v !== undefined)))]);
        }
      }
      const value = text(payload[field]);
      const ids = value === undefined ? [] : (found.get(value) ?? []);
      if (ids.length > 1) throw new ConnectorError('permanent', 'ambiguous_lookup', `odoo holds ${ids.length} ${entity.model} records with the same ${field}; resolve them there`);
      if (ids[0] !== undefined) {
        id = ids[0];
        await write(name, entity, id, payload);
      } else {
        id = await create(name, entity, payload);
        // A later request of the batch with the same key updates this one rather than making another.
        if (value !== undefined) found.set(value, [id]);
      }
      return { ok: true, externalId: String(id) };
    }, { failed: (error, request) => failedOutcome(error, request.payload as Row), connectorWide: authFailure });
  }

  /** Archives (`active` false): Odoo's way to withdraw a partner or product that others still refer to. */
  async function archive(name: string, entity: OdooEntity, externalIds: readonly string[]): Promise<RecordOutcome[]> {
    if (!entity.archive) throw new ConnectorError('permanent', 'not_deletable', `odoo ${name} cannot be deleted`);
    return sendEach(`odoo ${name}`, externalIds, async (externalId) => {
      if (!/^[1-9][0-9]{0,15}$/.test(externalId)) return { ok: false, kind: 'permanent', code: 'invalid_id', message: `odoo ${name}: an external id is not a record id` };
      try {
        const answer = await rpc.call({ model: entity.model, method: 'write', ids: [Number(externalId)], args: { vals: { active: false } }, context: { active_test: false } });
        if (answer !== true) throw new OdooCallError('retryable', 'unknown_outcome', `odoo ${name}: write did not answer true`);
      } catch (error) {
        // Already gone is what a delete wants.
        if (!isMissing(error)) throw error;
      }
      return { ok: true, externalId };
    }, { failed: (error) => failedOutcome(error, undefined), connectorWide: authFailure });
  }

  return { upsert, archive };
}
