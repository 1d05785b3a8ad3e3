import type { Db } from './database.js';

export interface StoredResponse {
  readonly operation: string;
  readonly requestHash: string;
  readonly status: number;
  /** The response body and headers as JSON. */
  readonly response: string;
}

/** Responses remembered per (actor, Idempotency-Key), so a retried POST gives the same result once. */
export class IdempotencyRepository {
  constructor(private readonly db: Db) {}

  async get(actor: string, key: string): Promise<StoredResponse | undefined> {
    const row = await this.db.selectFrom('hub_idempotency').selectAll().where('actor', '=', actor).where('idem_key', '=', key).executeTakeFirst();
    if (!row) return undefined;
    return { operation: String(row['operation']), requestHash: String(row['request_hash']), status: Number(row['status']), response: String(row['response']) };
  }

  async put(actor: string, key: string, value: StoredResponse, at: string): Promise<void> {
    await this.db
      .insertInto('hub_idempotency')
      .values({ actor, idem_key: key, operation: value.operation, request_hash: value.requestHash, status: value.status, response: value.response, created_at: at })
      .execute();
  }

  async purgeOlderThan(at: string): Promise<number> {
    const r = await this.db.deleteFrom('hub_idempotency').where('created_at', '<', at).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
