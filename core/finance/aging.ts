import { UnprocessableError } from '../errors.js';
import { currencyScale } from '../model/codes.js';
import { dec, DECIMAL_PATTERN, zero } from '../model/decimal.js';

/**
 * Receivables aging: how much each customer (owner, team) owes, by how long it is past due, as of a
 * date in the business time zone. Amounts stay decimal end to end and amounts of different currencies
 * are never added: every total is per currency. Pure and streaming (an accumulator): the reports,
 * the CSV export and the finance feed all age through it.
 */

/** The buckets, in order: not yet due, then days past due. */
export const AGING_BUCKETS = ['current', 'd1_30', 'd31_60', 'd61_90', 'over_90'] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a calendar date `YYYY-MM-DD`; undefined when it is not a real date. */
function dayNumber(date: string): number | undefined {
  const m = DATE.exec(date);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999.
  const back = new Date(0);
  back.setUTCFullYear(y, mo - 1, d);
  const at = back.getTime();
  // 2026-02-30 rolls over to March: not a date.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return at / DAY_MS;
}

/** Whether `value` is a real calendar date `YYYY-MM-DD` (2026-02-30 is not). */
export function isCalendarDate(value: string): boolean {
  return dayNumber(value) !== undefined;
}

/** One formatter per time zone: making one costs far more than using it, and `today` is asked per record read. */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date an instant falls on in a time zone (IANA), as `YYYY-MM-DD`. */
export function businessDate(at: Date, timeZone: string): string {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    if (formatters.size < 100) formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value])) as Record<string, string>;
  return `${parts['year']}-${parts['month']}-${parts['day']}`;
}

/**
 * The as-of date of a report: the given `YYYY-MM-DD`, or today in the business time zone. A value
 * that is not a real calendar date is a 422 naming `pointer` (e.g. `/query/asOf`).
 */
export function asOfDate(value: string | undefined, timeZone: string, pointer: string, now: Date = new Date()): string {
  if (value === undefined || value === '') return businessDate(now, timeZone);
  if (dayNumber(value) === undefined) throw new UnprocessableError('The as-of date is invalid', [{ pointer, detail: 'must be a calendar date YYYY-MM-DD' }]);
  return value;
}

/** Whole days `dueDate` lies before `asOf` (both calendar dates); 0 when not yet due or due that day. */
export function daysPastDue(dueDate: string, asOf: string): number {
  const due = dayNumber(dueDate);
  const on = dayNumber(asOf);
  if (due === undefined) throw new TypeError('dueDate is not a calendar date');
  if (on === undefined) throw new TypeError('asOf is not a calendar date');
  return Math.max(0, on - due);
}

/** The bucket of a number of days past due: 0 current, 1–30, 31–60, 61–90, over 90. */
export function bucketOf(daysLate: number): AgingBucket {
  if (daysLate <= 0) return 'current';
  if (daysLate <= 30) return 'd1_30';
  if (daysLate <= 60) return 'd31_60';
  if (daysLate <= 90) return 'd61_90';
  return 'over_90';
}

/** The statuses a receivable shows: its payment state, or `overdue` as of a date. */
export const RECEIVABLE_STATUSES = ['open', 'partially_paid', 'paid', 'overdue', 'written_off'] as const;
export type ReceivableStatus = (typeof RECEIVABLE_STATUSES)[number];

/** What the hub stores as a receivable's status: its payment state, which no date changes. */
export type PaymentState = Exclude<ReceivableStatus, 'overdue'>;

type StatusInput = { readonly amount: string; readonly paidAmount?: string | null; readonly status?: string | null };

/**
 * The payment state of a receivable, from its amount and what was paid: a write-off stays written
 * off; nothing left to pay is paid (so is an overpaid one: the excess is the customer's credit); a
 * credit note (a negative amount: the customer is owed) is open until it is used up; otherwise
 * partially paid once anything was paid, else open. The record service stores this as `status`.
 */
export function paymentState(r: StatusInput): PaymentState {
  if (r.status === 'written_off') return 'written_off';
  const amount = dec(r.amount);
  const paid = r.paidAmount ? dec(r.paidAmount) : zero();
  const balance = amount.minus(paid);
  if (balance.isZero()) return 'paid';
  if (amount.isNegative()) return 'open';
  if (balance.isNegative()) return 'paid';
  return paid.isZero() ? 'open' : 'partially_paid';
}

/**
 * The status a receivable has as of a date: its payment state, except that a receivable with
 * something owed (open or partially paid, not a credit note) whose due date lies before `asOf` is
 * overdue. Overdue is a view as of a date, never stored: see {@link statusSelection}.
 */
export function receivableStatus(r: StatusInput & { readonly dueDate: string }, asOf: string): ReceivableStatus {
  const state = paymentState(r);
  if ((state === 'open' || state === 'partially_paid') && !dec(r.amount).isNegative() && daysPastDue(r.dueDate, asOf) > 0) return 'overdue';
  return state;
}

/**
 * The stored states and due-date bounds that select the receivables showing `status` as of `today`,
 * for a query on the indexed `status` and `due_date` columns (so a list filtered by status pages
 * in SQL): overdue is open or partially paid and due before today; open and partially paid are those
 * not yet due (due today or later); paid and written off are what they are. (A credit note past its
 * due date shows open but is selected by neither `open` nor `overdue`: see docs/reports.md.)
 */
export function statusSelection(status: ReceivableStatus, today: string): { readonly states: readonly PaymentState[]; readonly dueBefore?: string; readonly dueFrom?: string } {
  switch (status) {
    case 'overdue':
      return { states: ['open', 'partially_paid'], dueBefore: today };
    case 'open':
    case 'partially_paid':
      return { states: [status], dueFrom: today };
    default:
      return { states: [status] };
  }
}

/**
 * The `status` of a stored receivable as a reader sees it on `today` (see receivableStatus); the
 * stored value when the record lacks an amount or a due date to tell by.
 */
export function statusOn(record: Readonly<Record<string, unknown>>, today: string): unknown {
  const { amount, paidAmount, dueDate, status } = record;
  if (typeof amount !== 'string' || typeof dueDate !== 'string' || dayNumber(dueDate) === undefined) return status;
  if (paidAmount !== undefined && paidAmount !== null && typeof paidAmount !== 'string') return status;
  try {
    return receivableStatus({ amount, paidAmount: paidAmount ?? null, dueDate, status: typeof status === 'string' ? status : null }, today);
  } catch {
    return status;
  }
}

/** One receivable as aging reads it. `balance`: what is still owed (amount − paid), a decimal string. */
export interface AgingInput {
  readonly currency: string;
  readonly balance: string;
  readonly dueDate: string;
  readonly status?: string | null;
}

/** The totals of one currency: per bucket and in all, as decimal strings at the currency's scale. */
export interface CurrencyTotals {
  readonly currency: string;
  readonly count: number;
  readonly buckets: Readonly<Record<AgingBucket, string>>;
  readonly total: string;
}

/** Millionths: every amount the model accepts has at most six decimals (DECIMAL_PATTERN), so sums of them are exact integers. */
const MICRO_DIGITS = 6;

/**
 * A decimal string as an exact integer of millionths: a number while it has at most 15 digits (exact
 * below 2^53), else a bigint; a TypeError when it is not a decimal string.
 */
function micros(value: string): number | bigint {
  if (!DECIMAL_PATTERN.test(value)) throw new TypeError('not a decimal string');
  const negative = value.charCodeAt(0) === 45;
  const dot = value.indexOf('.');
  const end = dot < 0 ? value.length : dot;
  const fraction = dot < 0 ? 0 : value.length - dot - 1;
  if (end - (negative ? 1 : 0) + MICRO_DIGITS > 15) {
    const n = BigInt(value.slice(negative ? 1 : 0, end) + (dot < 0 ? '' : value.slice(dot + 1)) + '0'.repeat(MICRO_DIGITS - fraction));
    return negative ? -n : n;
  }
  // At most 15 digits: exact as a number, and no string made on the way.
  let n = 0;
  for (let i = negative ? 1 : 0; i < value.length; i++) if (i !== dot) n = n * 10 + (value.charCodeAt(i) - 48);
  n *= 10 ** (MICRO_DIGITS - fraction);
  return negative ? -n : n;
}

/** Millionths at `scale` digits, rounded half-up (away from zero at .5), as fixed-point text ("0.00", never "-0.00"). */
function microsText(value: bigint, scale: number): string {
  const negative = value < 0n;
  const divisor = 10n ** BigInt(MICRO_DIGITS - scale);
  const abs = negative ? -value : value;
  let q = abs / divisor;
  if ((abs % divisor) * 2n >= divisor) q += 1n;
  const digits = q.toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative && q !== 0n ? `-${text}` : text;
}

/**
 * An exact sum of millionths: a number while every partial sum is a safe integer (a sum past 2^53
 * would round, and is then carried into the bigint part, exactly), so the common case allocates
 * nothing.
 */
class Exact {
  small = 0;
  big = 0n;

  add(amount: number | bigint): void {
    if (typeof amount === 'bigint') {
      this.big += amount;
      return;
    }
    const next = this.small + amount;
    if (Number.isSafeInteger(next)) this.small = next;
    else {
      this.big += BigInt(this.small) + BigInt(amount);
      this.small = 0;
    }
  }

  value(): bigint {
    return this.big + BigInt(this.small);
  }
}

/**
 * Sums of one currency, per bucket and in all. Kept as exact integers of millionths rather than
 * decimal objects: the same amounts (no binary fraction anywhere), a fraction of the work per
 * receivable (a feed ages hundreds of thousands).
 */
class Sums {
  count = 0;
  readonly buckets: Record<AgingBucket, Exact> = { current: new Exact(), d1_30: new Exact(), d31_60: new Exact(), d61_90: new Exact(), over_90: new Exact() };
  readonly total = new Exact();

  add(bucket: AgingBucket, amount: number | bigint): void {
    this.count++;
    this.buckets[bucket].add(amount);
    this.total.add(amount);
  }

  view(currency: string): CurrencyTotals {
    const scale = currencyScale(currency);
    const buckets = Object.fromEntries(AGING_BUCKETS.map((b) => [b, microsText(this.buckets[b].value(), scale)])) as Record<AgingBucket, string>;
    return { currency, count: this.count, buckets, total: microsText(this.total.value(), scale) };
  }
}

/** Aging of one group (a customer, an owner, a team, or everything): its totals per currency, by currency code. */
export interface AgingGroup {
  readonly key: string | null;
  readonly currencies: readonly CurrencyTotals[];
}

/**
 * Ages receivables one at a time (a stream of any length holds only the sums): `add` places each
 * open one in its bucket by days past due as of `asOf`, under its group and in the grand total, per
 * currency. Paid and written-off receivables (nothing left to collect) are skipped.
 */
export class AgingAccumulator<T extends AgingInput = AgingInput> {
  private readonly groups = new Map<string | null, Map<string, Sums>>();
  private readonly all = new Map<string, Sums>();
  private readonly asOfDay: number;
  /** Day numbers of the due dates seen (a few thousand distinct dates in any ledger). */
  private readonly days = new Map<string, number>();

  constructor(
    readonly asOf: string,
    private readonly groupOf: (r: T) => string | null = () => null,
  ) {
    const day = dayNumber(asOf);
    if (day === undefined) throw new TypeError('asOf is not a calendar date');
    this.asOfDay = day;
  }

  /** Places one receivable; answers its days past due and bucket, or undefined when nothing is left to collect. */
  add(r: T): { daysPastDue: number; bucket: AgingBucket } | undefined {
    if (r.status === 'paid' || r.status === 'written_off') return undefined;
    const balance = micros(r.balance);
    if (balance === 0 || balance === 0n) return undefined;
    let due = this.days.get(r.dueDate);
    if (due === undefined) {
      due = dayNumber(r.dueDate);
      if (due !== undefined && this.days.size < 100_000) this.days.set(r.dueDate, due);
    }
    if (due === undefined) throw new TypeError('dueDate is not a calendar date');
    const daysLate = Math.max(0, this.asOfDay - due);
    const bucket = bucketOf(daysLate);
    sumsFor(this.all, r.currency).add(bucket, balance);
    const key = this.groupOf(r);
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = new Map()));
    sumsFor(group, r.currency).add(bucket, balance);
    return { daysPastDue: daysLate, bucket };
  }

  /** The groups in key order (no group last), each with its currencies in code order. */
  byGroup(): AgingGroup[] {
    return [...this.groups.entries()]
      .sort(([a], [b]) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1))
      .map(([key, sums]) => ({ key, currencies: views(sums) }));
  }

  /** The grand total, per currency: amounts of different currencies are never added. */
  total(): readonly CurrencyTotals[] {
    return views(this.all);
  }
}

function sumsFor(map: Map<string, Sums>, currency: string): Sums {
  let sums = map.get(currency);
  if (!sums) map.set(currency, (sums = new Sums()));
  return sums;
}

function views(map: ReadonlyMap<string, Sums>): CurrencyTotals[] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([currency, sums]) => sums.view(currency));
}
