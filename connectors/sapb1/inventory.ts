import { ConnectorError, type ExternalRecord, type ReadPage } from '../contract.js';
import { odataString } from '../http/odata.js';
import { allOf, getPage, listPath, type SapContext } from './query.js';

/**
 * Stock per item and warehouse, read as a sweep. SAP keeps stock in each item's
 * `ItemWarehouseInfoCollection` (`WarehouseCode`, `InStock`, `Committed` to customer orders, `Ordered`
 * from suppliers), one entry per warehouse. A stock movement changes those quantities without stamping
 * the item (`UpdateDate` stays), so no watermark can find it: each poll reads every stock item
 * (`InventoryItem eq 'tYES'`), in `ItemCode` order by keyset (`ItemCode gt '<last>'`, ordered and
 * compared by the server), and yields one record per (item, warehouse); the sweep's last page carries a
 * cursor that starts the next sweep from the beginning. Ingest drops the levels that did not change.
 */

/** The record key: `<ItemCode>|<WarehouseCode>`. */
export function inventoryKey(record: ExternalRecord): string | undefined {
  const item = record['ItemCode'];
  const warehouse = record['WarehouseCode'];
  return typeof item === 'string' && item !== '' && typeof warehouse === 'string' && warehouse !== '' ? `${item}|${warehouse}` : undefined;
}

interface Sweep {
  /** The last item read; null: from the start. */
  readonly after: string | null;
  /** The sweep reached the end: the next read starts a new one. */
  readonly done?: boolean;
}

function encode(sweep: Sweep): string {
  return Buffer.from(JSON.stringify(sweep.done ? { s: null, d: 1 } : { s: sweep.after })).toString('base64url');
}

function decode(cursor: string): Sweep {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (v['d'] === 1 && v['s'] === null) return { after: null, done: true };
    if (typeof v['s'] === 'string' && v['s'] !== '' && v['d'] === undefined) return { after: v['s'] };
  } catch {
    // fall through
  }
  throw new ConnectorError('permanent', 'bad_cursor', 'The read cursor is not one this connector issued');
}

export async function readInventory(ctx: SapContext, cursor: string | null, limit: number): Promise<ReadPage> {
  const from = cursor === null ? { after: null } : decode(cursor);
  const after = from.done ? null : from.after;
  let next: string | null = listPath('Items', {
    $select: 'ItemCode,UpdateDate,UpdateTime,ItemWarehouseInfoCollection',
    $filter: allOf("InventoryItem eq 'tYES'", after === null ? undefined : `ItemCode gt ${odataString(after)}`),
    $orderby: 'ItemCode',
  });
  const records: ExternalRecord[] = [];
  let lastItem: string | null = null;
  while (next !== null && records.length < limit) {
    const page = await getPage(ctx, 'Items', next);
    for (const item of page.records) {
      const code = item['ItemCode'];
      const stock = item['ItemWarehouseInfoCollection'];
      if (typeof code !== 'string' || code === '') throw new ConnectorError('permanent', 'invalid_response', `${ctx.name} Items row lacks ItemCode`);
      if (!Array.isArray(stock)) throw new ConnectorError('permanent', 'invalid_response', `${ctx.name} Items row lacks ItemWarehouseInfoCollection`);
      for (const entry of stock as unknown[]) {
        if (typeof entry !== 'object' || entry === null || typeof (entry as Record<string, unknown>)['WarehouseCode'] !== 'string') {
          throw new ConnectorError('permanent', 'invalid_response', `${ctx.name} ItemWarehouseInfoCollection entry lacks WarehouseCode`);
        }
        records.push({ ...(entry as Record<string, unknown>), ItemCode: code, UpdateDate: item['UpdateDate'] ?? null, UpdateTime: item['UpdateTime'] ?? null });
      }
      lastItem = code;
      // An item's warehouses travel together: the page ends on an item boundary.
      if (records.length >= limit) break;
    }
    next = records.length >= limit ? null : page.nextLink;
  }
  if (records.length >= limit && lastItem !== null) return { records, cursor: encode({ after: lastItem }) };
  // The items ran out: the sweep is complete, and the next read starts the next one.
  if (records.length === 0 && (cursor === null || from.done)) return { records: [], cursor };
  return { records, cursor: encode({ after: null, done: true }) };
}
