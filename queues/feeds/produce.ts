import { HubError } from '../../core/errors.js';
import { AGING_BUCKETS, AgingAccumulator, type AgingBucket, type AgingInput, type ReceivableStatus } from '../../core/finance/aging.js';
import { FeedFileSink, type WrittenFile } from '../../core/feeds/file-sink.js';
import { csvHeader, csvLine, jsonLine, type Cell } from '../../core/feeds/lines.js';
import { dataFileBase, FEED_CONTENTS, type FeedContent, type FeedFormat } from '../../core/feeds/manifest.js';
import { ENTITIES, type JsonObject, type JsonValue, type StoredRecord } from '../../core/model/entities.js';
import type { PolicyEngine, Projected } from '../../core/policy/engine.js';
import type { Store } from '../../core/store/store.js';
import { targetReceiver } from '../../mappings/engine/way-out.js';
import type { FeedColumn } from './columns.js';
import type { FeedConfig } from './config.js';
import { owedReceivablePages } from './owed.js';

/**
 * Writes the files of one feed run into a private folder: every open receivable the feed's receiver
 * may see, projected for it (the policy engine is the only source of every value written), aged as
 * of the run's date, one line per format; then the per-customer totals, per currency (amounts of
 * different currencies are never added). Streams: one page of receivables and the running totals
 * are all it holds.
 */

export interface ProduceOptions {
  readonly store: Store;
  readonly policy: PolicyEngine;
  readonly feed: FeedConfig;
  readonly asOf: string;
  /** The run's private folder (it must be empty). */
  readonly dir: string;
  readonly pageSize?: number;
}

export interface ProducedFile {
  readonly content: FeedContent;
  readonly format: FeedFormat;
  readonly file: WrittenFile;
}

export interface Produced {
  readonly files: readonly ProducedFile[];
  /** Open receivables written. */
  readonly records: number;
  /** Customer × currency total rows written. */
  readonly customerTotals: number;
}

const TOTAL_HEADERS = ['currency', 'receivables', ...AGING_BUCKETS, 'total'];

export const CONTENT_TYPES: Readonly<Record<FeedFormat, string>> = { csv: 'text/csv; charset=utf-8; header=present', jsonl: 'application/jsonl' };

function valueAt(record: JsonObject, path: string): JsonValue | undefined {
  const dot = path.indexOf('.');
  if (dot < 0) return record[path];
  const inner = record[path.slice(0, dot)];
  return inner && typeof inner === 'object' && !Array.isArray(inner) ? inner[path.slice(dot + 1)] : undefined;
}

function cellOf(value: JsonValue | undefined): Cell {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value);
}

const ZERO = /^-?0(\.0+)?$/;

/**
 * `receivableStatus` (core/finance/aging.ts) for a receivable the accumulator has just aged, from the
 * strings it already has: the stored balance is amount − paid (the model checks it), so no decimal is
 * parsed again. The unit tests check it agrees with `receivableStatus` on generated amounts.
 */
export function statusAsOf(amount: string, paid: string | null, balance: string, daysLate: number): ReceivableStatus {
  if (ZERO.test(balance)) return 'paid';
  if (amount.startsWith('-')) return 'open';
  if (balance.startsWith('-')) return 'paid';
  if (daysLate > 0) return 'overdue';
  return paid === null || ZERO.test(paid) ? 'open' : 'partially_paid';
}

interface Aged extends AgingInput {
  readonly customerId: string | null;
}

interface Output {
  readonly content: FeedContent;
  readonly format: FeedFormat;
  readonly sink: FeedFileSink;
  readonly headers: readonly string[];
}

function writeRow(out: Output, cells: readonly Cell[]): void {
  out.sink.write(out.format === 'csv' ? csvLine(cells) : jsonLine(out.headers, cells), 1);
}

export async function produceFeed(o: ProduceOptions): Promise<Produced> {
  const { feed, policy, store } = o;
  const receiver = targetReceiver(feed.receiver);
  const customerColumns: readonly FeedColumn[] = feed.columns.filter((c) => c.source === 'customer');
  const headersOf: Record<FeedContent, readonly string[]> = {
    receivables: feed.columns.map((c) => c.header),
    customer_totals: [...(customerColumns.length > 0 ? customerColumns.map((c) => c.header) : ['customer_id']), ...TOTAL_HEADERS],
  };
  const outputs: Output[] = [];
  try {
    for (const format of feed.formats) {
      for (const content of FEED_CONTENTS) {
        const encrypted = feed.encryptFor !== undefined;
        const sink = await FeedFileSink.create(o.dir, dataFileBase(content, format, encrypted), { encryptFor: feed.encryptFor?.publicKey, contentType: CONTENT_TYPES[format], plainName: dataFileBase(content, format, false) });
        outputs.push({ content, format, sink, headers: headersOf[content] });
        if (format === 'csv') sink.write(csvHeader(headersOf[content]));
      }
    }
    const rows = outputs.filter((x) => x.content === 'receivables');
    const totals = outputs.filter((x) => x.content === 'customer_totals');
    // A customer's cells as the receiver may see them (nulls when it may not see the customer), by id.
    const customers = new Map<string, readonly Cell[]>();
    const noCustomer: readonly Cell[] = customerColumns.map(() => null);
    const acc = new AgingAccumulator<Aged>(o.asOf, (r) => (typeof r.customerId === 'string' ? r.customerId : null));
    // One row's cells, filled in place for each receivable (a line is made of them at once).
    const cells: Cell[] = feed.columns.map(() => null);
    // One getter per column, made once: the row loop only calls them.
    type Getter = (v: Projected, customer: readonly Cell[], aged: { daysPastDue: number; bucket: AgingBucket }) => Cell;
    const getters = feed.columns.map((col): Getter => {
      if (col.source === 'receivable') return col.path.includes('.') ? (v) => cellOf(valueAt(v, col.path)) : (v) => cellOf(v[col.path]);
      if (col.source === 'customer') {
        const i = customerColumns.indexOf(col);
        return (_v, customer) => customer[i] ?? null;
      }
      if (col.path === 'daysPastDue') return (_v, _c, aged) => aged.daysPastDue;
      if (col.path === 'bucket') return (_v, _c, aged) => aged.bucket;
      return (v, _c, aged) => statusAsOf(String(v['amount']), typeof v['paidAmount'] === 'string' ? v['paidAmount'] : null, String(v['balance']), aged.daysPastDue);
    });

    const page = async (records: readonly StoredRecord[]): Promise<void> => {
      const views = records.map((r) => policy.project(receiver, 'receivable', r)).filter((v): v is Projected => v !== undefined);
      if (customerColumns.length > 0) {
        const wanted = [...new Set(views.map((v) => v['customerId']).filter((id): id is string => typeof id === 'string' && !customers.has(id)))];
        for (const c of await store.records.getMany(ENTITIES.customer, wanted)) {
          const view = policy.project(receiver, 'customer', c);
          customers.set(c.id, view ? customerColumns.map((col) => cellOf(valueAt(view, col.path))) : noCustomer);
        }
        for (const id of wanted) if (!customers.has(id)) customers.set(id, noCustomer);
      }
      for (const v of views) {
        const { currency, balance, dueDate } = v;
        if (typeof currency !== 'string' || typeof balance !== 'string' || typeof dueDate !== 'string') throw new HubError('feed_record_incomplete', 500, `The receivable ${String(v['id'])} lacks its currency, balance or due date as the receiver sees it`);
        // The projected record itself is the aging input (no copy per receivable).
        const aged = acc.add(v as unknown as Aged);
        if (!aged) continue;
        const customerId = typeof v['customerId'] === 'string' ? v['customerId'] : null;
        const customer = customerId ? (customers.get(customerId) ?? noCustomer) : noCustomer;
        for (let i = 0; i < getters.length; i++) cells[i] = getters[i]!(v, customer, aged);
        for (const out of rows) writeRow(out, cells);
      }
      for (const out of rows) await out.sink.drain();
    };

    for await (const records of owedReceivablePages(store, o.pageSize ?? 2000)) await page(records);

    let customerTotals = 0;
    for (const group of acc.byGroup()) {
      const who = customerColumns.length > 0 ? (group.key ? customers.get(group.key) ?? noCustomer : noCustomer) : [group.key];
      for (const t of group.currencies) {
        customerTotals++;
        const cells: Cell[] = [...who, t.currency, t.count, ...AGING_BUCKETS.map((b) => t.buckets[b]), t.total];
        for (const out of totals) {
          writeRow(out, cells);
          if (out.sink.full) await out.sink.drain();
        }
      }
    }
    const files: ProducedFile[] = [];
    for (const out of outputs) files.push({ content: out.content, format: out.format, file: await out.sink.close() });
    const records = files.find((f) => f.content === 'receivables')?.file.records ?? 0;
    return { files, records, customerTotals };
  } catch (error) {
    await Promise.all(outputs.map((x) => x.sink.abort()));
    throw error;
  }
}
