import type { Db } from './database.js';

export interface DeadLetter {
  readonly id: string;
  readonly target: string;
  readonly entity: string;
  readonly recordId: string;
  readonly version: number;
  /** What the target would have received: projected for it and mapped; never the raw record. */
  readonly payload: Record<string, unknown>;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly attempts: number;
  readonly createdAt: string;
}

/** Deliveries that failed for good, kept with their projected payload and error until resolved. */
export class DeadLetterRepository {
  constructor(private readonly db: Db) {}

  async add(letter: Omit<DeadLetter, 'id'>): Promise<void> {
    await this.db
      .insertInto('hub_dead_letters')
      .values({
        target: letter.target,
        entity: letter.entity,
        record_id: letter.recordId,
        version: letter.version,
        payload: JSON.stringify(letter.payload),
        error_code: letter.errorCode.slice(0, 64),
        error_message: letter.errorMessage.slice(0, 1000),
        attempts: letter.attempts,
        created_at: letter.createdAt,
      })
      .execute();
  }

  async open(limit: number): Promise<DeadLetter[]> {
    const rows = await this.db.selectFrom('hub_dead_letters').selectAll().where('resolved_at', 'is', null).orderBy('id').limit(limit).execute();
    return rows.map((r) => ({
      id: String(r['id']),
      target: String(r['target']),
      entity: String(r['entity']),
      recordId: String(r['record_id']),
      version: Number(r['version']),
      payload: JSON.parse(String(r['payload'])) as Record<string, unknown>,
      errorCode: String(r['error_code']),
      errorMessage: String(r['error_message']),
      attempts: Number(r['attempts']),
      createdAt: String(r['created_at']),
    }));
  }
}
