import { UnprocessableError, type FieldProblem } from '../errors.js';
import { currencyScale, isCountry, isCurrency } from './codes.js';
import { nounOf, withArticle } from './words.js';
import { dec, DECIMAL_PATTERN, fmt, integerDigits, sameAmount, scaleOf, zero, type Dec } from './decimal.js';
import { paymentState } from '../finance/aging.js';

/** Digits before the point of one amount (Money in the spec), and of an order's sums (OrderTotal: up to 1000 lines of one amount each, plus tax). */
const AMOUNT_DIGITS = 16;
const ORDER_TOTAL_DIGITS = 20;
import type { EntityName, JsonObject, JsonValue } from './entities.js';

/**
 * Business rules of the canonical model that a JSON schema cannot say: ISO codes, decimal scale per
 * currency, totals that must add up, and references that must exist. Derived fields (`lineTotal`,
 * `subtotal`, `taxTotal`, `total`, `balance`, `available`, `countsTowardQuota`) are computed when
 * absent and checked when given. Every problem is collected, then reported at once.
 */
export interface ReferenceChecker {
  /** Returns the ids among `ids` that do not exist (or are deleted) for `kind`. */
  missing(kind: EntityName | 'user' | 'team', ids: readonly string[]): Promise<ReadonlySet<string>>;
  /** Current state of a product, for an order line's sku. */
  productSku(id: string): Promise<string | undefined>;
}

export interface ModelRules {
  /** Order types whose orders count toward a sales quota. */
  readonly quotaOrderTypes: readonly string[];
}

/** Fields computed by the hub when the caller leaves them out. */
export const DERIVED_FIELDS: Readonly<Partial<Record<EntityName, readonly string[]>>> = Object.freeze({
  order: ['subtotal', 'taxTotal', 'total', 'countsTowardQuota'],
  receivable: ['balance', 'status'],
  inventory: ['available'],
});

/**
 * Values of a derived field that are a decision, not a computation: a change that does not name the
 * field keeps them (a written-off receivable stays written off when its due date moves).
 */
export const KEPT_DERIVED_VALUES: Readonly<Partial<Record<EntityName, Readonly<Record<string, readonly string[]>>>>> = Object.freeze({
  receivable: { status: ['written_off'] },
});

/**
 * Whether a written value of a field tells the hub nothing it would not derive itself, so that a
 * write from a system that reports it is no change: a receivable's status other than `written_off`
 * while the hub has not written it off (the hub stores the payment state computed from the amounts
 * and shows overdue as of a date). Ingest leaves such values out of what a source changed: a source
 * that reports "overdue" every day neither rewrites the record nor raises a field conflict.
 */
export function tellsNothing(entity: EntityName, field: string, value: JsonValue | undefined, current: JsonObject): boolean {
  return entity === 'receivable' && field === 'status' && value !== 'written_off' && current['status'] !== 'written_off';
}

type Ref = { kind: EntityName | 'user' | 'team'; id: string; pointer: string };

class Checker {
  readonly problems: FieldProblem[] = [];
  readonly refs: Ref[] = [];

  add(pointer: string, detail: string): void {
    this.problems.push({ pointer, detail });
  }

  ref(kind: Ref['kind'], value: JsonValue | undefined, pointer: string): void {
    if (typeof value === 'string') this.refs.push({ kind, id: value, pointer });
  }

  currency(record: JsonObject, pointer = '/currency'): number | undefined {
    const code = record['currency'];
    if (typeof code !== 'string') return undefined;
    if (!isCurrency(code)) {
      this.add(pointer, 'is not an ISO 4217 currency code');
      return undefined;
    }
    return currencyScale(code);
  }

  /** Reads a money field, checking its scale against the currency. */
  money(record: JsonObject, field: string, scale: number | undefined, pointer: string): Dec | undefined {
    const value = record[field];
    if (typeof value !== 'string') return undefined;
    if (scale !== undefined && scaleOf(value) > scale) {
      this.add(pointer, `has more decimals than the currency allows (${scale})`);
      return undefined;
    }
    // An order's sums may be wider than one amount; they are only compared (see derive).
    return DECIMAL_PATTERN.test(value) ? dec(value) : undefined;
  }

  percent(record: JsonObject, field: string, pointer: string): Dec {
    const value = record[field];
    if (typeof value !== 'string') return zero();
    const d = dec(value);
    if (d.greaterThan(100)) this.add(pointer, 'must be between 0 and 100');
    return d;
  }

  /**
   * Sets a derived money field, or checks the caller's value against the computed one. False when
   * the computed amount has more integer digits than the field can hold (a problem, not a crash).
   */
  derive(record: JsonObject, field: string, computed: Dec, scale: number, pointer: string, digits = AMOUNT_DIGITS): boolean {
    const given = record[field];
    const expected = fmt(computed, scale);
    if (integerDigits(expected) > digits) {
      this.add(pointer, `comes to more than ${digits} digits before the point, more than the field can hold`);
      return false;
    }
    if (typeof given === 'string') {
      if (!sameAmount(given, expected)) this.add(pointer, `does not add up: expected ${expected}`);
    }
    record[field] = expected;
    return true;
  }

  address(record: JsonObject, field: string): void {
    const address = record[field];
    if (address && typeof address === 'object' && !Array.isArray(address)) {
      const country = address['country'];
      if (typeof country === 'string' && !isCountry(country)) {
        this.add(`/${field}/country`, 'is not an ISO 3166-1 alpha-2 country code');
      }
    }
  }

  dateOrder(record: JsonObject, earlier: string, later: string): void {
    const a = record[earlier];
    const b = record[later];
    if (typeof a === 'string' && typeof b === 'string' && b < a) this.add(`/${later}`, `must not be before ${earlier}`);
  }
}

function ownership(c: Checker, record: JsonObject): void {
  c.ref('user', record['ownerId'], '/ownerId');
  c.ref('team', record['teamId'], '/teamId');
}

function checkOrder(c: Checker, record: JsonObject, rules: ModelRules): void {
  const scale = c.currency(record);
  c.ref('customer', record['customerId'], '/customerId');
  ownership(c, record);
  c.dateOrder(record, 'orderDate', 'deliveryDate');
  const lines = Array.isArray(record['lines']) ? record['lines'] : [];
  let subtotal = zero();
  let taxTotal = zero();
  lines.forEach((line, i) => {
    if (!line || typeof line !== 'object' || Array.isArray(line)) return;
    const at = `/lines/${i}`;
    c.ref('product', line['productId'], `${at}/productId`);
    const unitPrice = c.money(line, 'unitPrice', scale, `${at}/unitPrice`);
    c.money(line, 'lineTotal', scale, `${at}/lineTotal`);
    const discount = c.percent(line, 'discount', `${at}/discount`);
    const taxRate = c.percent(line, 'taxRate', `${at}/taxRate`);
    line['discount'] ??= '0';
    line['taxRate'] ??= '0';
    line['description'] ??= null;
    const quantity = typeof line['quantity'] === 'string' ? dec(line['quantity']) : undefined;
    if (quantity?.isZero()) c.add(`${at}/quantity`, 'must be greater than 0');
    if (scale === undefined || unitPrice === undefined || quantity === undefined) return;
    const net = quantity.times(unitPrice).times(dec('100').minus(discount)).dividedBy(100);
    if (!c.derive(line, 'lineTotal', net, scale, `${at}/lineTotal`)) return;
    const lineTotal = dec(String(line['lineTotal']));
    subtotal = subtotal.plus(lineTotal);
    taxTotal = taxTotal.plus(lineTotal.times(taxRate).dividedBy(100).toDecimalPlaces(scale));
  });
  for (const f of ['subtotal', 'taxTotal', 'total']) c.money(record, f, scale, `/${f}`);
  if (scale !== undefined && c.problems.length === 0) {
    c.derive(record, 'subtotal', subtotal, scale, '/subtotal', ORDER_TOTAL_DIGITS);
    c.derive(record, 'taxTotal', taxTotal, scale, '/taxTotal', ORDER_TOTAL_DIGITS);
    c.derive(record, 'total', subtotal.plus(taxTotal), scale, '/total', ORDER_TOTAL_DIGITS);
  }
  record['countsTowardQuota'] = rules.quotaOrderTypes.includes(String(record['type']));
}

function checkReceivable(c: Checker, record: JsonObject): void {
  const scale = c.currency(record);
  c.ref('customer', record['customerId'], '/customerId');
  c.ref('order', record['orderId'], '/orderId');
  ownership(c, record);
  c.dateOrder(record, 'issueDate', 'dueDate');
  const amount = c.money(record, 'amount', scale, '/amount');
  const paid = c.money(record, 'paidAmount', scale, '/paidAmount');
  c.money(record, 'balance', scale, '/balance');
  // Signed on purpose: a credit note is a negative amount, and an overpaid invoice a negative balance
  // (what the customer is owed); both are what the source system says is open.
  if (amount && paid && scale !== undefined) {
    const balance = amount.minus(paid);
    c.derive(record, 'balance', balance, scale, '/balance');
    // Paid means nothing is left to collect in the document's direction (an overpayment is paid).
    const owed = amount.isNegative() ? balance.isNegative() : balance.greaterThan(0);
    if (record['status'] === 'paid' && owed) c.add('/status', 'cannot be paid while a balance is open');
  }
  // The stored status is the payment state (open, partially paid, paid), computed from the amounts
  // whatever the writer said; only a write-off is the writer's decision. Overdue is not stored: it
  // is a view as of a date (core/finance/aging.ts statusOn), so no day's passing changes a record.
  if (typeof record['amount'] === 'string' && DECIMAL_PATTERN.test(record['amount']) && c.problems.length === 0) {
    const paidAmount = typeof record['paidAmount'] === 'string' && DECIMAL_PATTERN.test(record['paidAmount']) ? record['paidAmount'] : null;
    record['status'] = paymentState({ amount: record['amount'], paidAmount, status: typeof record['status'] === 'string' ? record['status'] : null });
  }
}

/** The warehouse code the spec allows (InventoryLevelFields.warehouse): checked here too, since a source's mapping writes it. */
const WAREHOUSE = /^[A-Za-z0-9_.-]{1,32}$/;

function checkInventory(c: Checker, record: JsonObject): void {
  c.ref('product', record['productId'], '/productId');
  const warehouse = record['warehouse'];
  if (typeof warehouse === 'string' && !WAREHOUSE.test(warehouse)) c.add('/warehouse', 'must be 1 to 32 letters, digits, or _ . -');
  const onHand = dec(String(record['onHand'] ?? '0'));
  const reserved = dec(String(record['reserved'] ?? '0'));
  // Quantities are never negative in the model (an ERP that allows negative stock is refused here, by name).
  if (onHand.isNegative()) c.add('/onHand', 'must not be negative');
  if (reserved.isNegative()) c.add('/reserved', 'must not be negative');
  const available = onHand.minus(reserved);
  const given = record['available'];
  if (typeof given === 'string' && !dec(given).equals(available)) {
    c.add('/available', `does not add up: expected onHand - reserved = ${available.toFixed()}`);
  }
  record['available'] = available.toFixed();
}

/** Checks and completes `record` (a full candidate state) in place; throws 422 listing every problem. */
export async function checkRecord(
  entity: EntityName,
  record: JsonObject,
  refs: ReferenceChecker,
  rules: ModelRules,
): Promise<void> {
  const c = new Checker();
  switch (entity) {
    case 'customer': {
      const scale = c.currency(record);
      c.money(record, 'creditLimit', scale, '/creditLimit');
      c.address(record, 'billingAddress');
      c.address(record, 'shippingAddress');
      ownership(c, record);
      break;
    }
    case 'contact':
      c.ref('customer', record['customerId'], '/customerId');
      ownership(c, record);
      break;
    case 'product': {
      const scale = c.currency(record);
      c.money(record, 'listPrice', scale, '/listPrice');
      c.money(record, 'cost', scale, '/cost');
      break;
    }
    case 'inventory':
      checkInventory(c, record);
      break;
    case 'order':
      checkOrder(c, record, rules);
      break;
    case 'receivable':
      checkReceivable(c, record);
      break;
    case 'payment': {
      const scale = c.currency(record);
      c.money(record, 'amount', scale, '/amount');
      c.ref('customer', record['customerId'], '/customerId');
      c.ref('receivable', record['receivableId'], '/receivableId');
      ownership(c, record);
      break;
    }
  }
  await resolveRefs(c, refs);
  if (entity === 'order') await fillSkus(c, record, refs);
  if (c.problems.length > 0) throw new UnprocessableError('The record breaks the model\'s rules', c.problems);
}

async function resolveRefs(c: Checker, refs: ReferenceChecker): Promise<void> {
  const byKind = new Map<Ref['kind'], Ref[]>();
  for (const r of c.refs) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
  for (const [kind, list] of byKind) {
    const missing = await refs.missing(kind, [...new Set(list.map((r) => r.id))]);
    for (const r of list) if (missing.has(r.id)) c.add(r.pointer, `refers to ${withArticle(nounOf(kind))} that does not exist`);
  }
}

async function fillSkus(c: Checker, record: JsonObject, refs: ReferenceChecker): Promise<void> {
  const lines = Array.isArray(record['lines']) ? record['lines'] : [];
  for (const [i, line] of lines.entries()) {
    if (!line || typeof line !== 'object' || Array.isArray(line) || typeof line['productId'] !== 'string') continue;
    const sku = await refs.productSku(line['productId']);
    if (sku === undefined) continue;
    if (line['sku'] === undefined) line['sku'] = sku;
    else if (line['sku'] !== sku) c.add(`/lines/${i}/sku`, 'does not match the product\'s sku');
  }
}
