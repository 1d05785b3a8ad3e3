import { ConnectorError, type ExternalRecord } from '../contract.js';
import { HttpError, type HttpClient } from './client.js';
import type { ListEndpoint } from './endpoints.js';

/** Documents read at once when a list's rows are read whole (`list.detail`). */
const DETAIL_CONCURRENCY = 4;

/**
 * The listed rows read whole, in order: each from `<detail.path>/<encoded key>` (`list.detail`), for
 * systems whose list answers parent fields only (Frappe: a Payment Entry's `references` come only with
 * the document). A document gone since the list (404) keeps its listed row; any other failure fails
 * the read (the cursor does not move, the page is read again).
 */
export async function readWhole(client: HttpClient, connector: string, entity: string, list: ListEndpoint, rows: readonly ExternalRecord[], keyOf: (row: ExternalRecord) => string): Promise<ExternalRecord[]> {
  const detail = list.detail;
  if (detail === undefined || rows.length === 0) return [...rows];
  const path = detail.path ?? list.path;
  const responseField = detail.responseField ?? 'data';
  const out: ExternalRecord[] = [...rows];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < rows.length) {
      const i = next++;
      const row = rows[i]!;
      try {
        const response = await client.request({ method: 'GET', path: `${path}/${encodeURIComponent(keyOf(row))}` });
        const doc = responseField === '' ? response.body : (response.body as Record<string, unknown> | null)?.[responseField];
        if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ConnectorError('permanent', 'invalid_response', `${connector} ${entity} document answer has no ${responseField || 'object'}`);
        out[i] = doc as ExternalRecord;
      } catch (error) {
        if (error instanceof HttpError && error.httpStatus === 404) continue;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DETAIL_CONCURRENCY, rows.length) }, worker));
  return out;
}
