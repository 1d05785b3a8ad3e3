import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { PrivateMariadb } from './services.js';
import { sleep } from './services.js';

/**
 * The MySQL "ERP" the hub polls: a table `erp_customers` in a database of its own on the ERP's
 * private MariaDB, keyed by `customer_no`, with a `modified_at` watermark that every update moves
 * (as ERPs stamp their rows), and a mutator that keeps changing names while a scenario runs.
 */

export const codeOf = (n: number) => `C${String(n).padStart(6, '0')}`;

export class ErpSource {
  private pool: Pool | undefined;
  /** Updates committed by the mutator (and how many failed, e.g. while the database was down). */
  readonly stats = { updates: 0, failed: 0, rows: 0 };
  private mutating = false;
  private mutator: Promise<void> | undefined;

  constructor(readonly server: PrivateMariadb, readonly database: string) {}

  get url(): string {
    return this.server.url(this.database);
  }

  private db(): Pool {
    this.pool ??= this.server.pool(this.database, 2);
    return this.pool;
  }

  /** Drops the pool's connections (after a restart of the server they are dead). */
  async reconnect(): Promise<void> {
    const p = this.pool;
    this.pool = undefined;
    await p?.end().catch(() => undefined);
  }

  /** A fresh database with `rows` customers C000001…, inserted in multi-row INSERTs. */
  async create(rows: number): Promise<void> {
    await this.server.createDatabase(this.database);
    await this.db().query(`CREATE TABLE erp_customers (
      id BIGINT AUTO_INCREMENT PRIMARY KEY,
      customer_no VARCHAR(32) NOT NULL UNIQUE,
      name VARCHAR(200) NOT NULL,
      currency CHAR(3) NOT NULL,
      modified_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      INDEX erp_customers_modified (modified_at, id)
    ) ENGINE=InnoDB`);
    for (let from = 1; from <= rows; from += 2000) {
      const values = [];
      for (let n = from; n < Math.min(rows + 1, from + 2000); n++) values.push([codeOf(n), `Customer ${n} v0`, n % 5 === 0 ? 'CHF' : 'EUR']);
      await this.db().query('INSERT INTO erp_customers (customer_no, name, currency) VALUES ?', [values]);
    }
    this.stats.rows = rows;
  }

  /**
   * Starts changing names: every `everyMs`, `perTick` random rows get a new name (`… v<k>`) and a new
   * `modified_at`. Failures (the database restarting) are counted and retried on the next tick.
   */
  startMutating(everyMs = 250, perTick = 5): void {
    if (this.mutating) return;
    this.mutating = true;
    let k = 0;
    this.mutator = (async () => {
      while (this.mutating) {
        try {
          const conn = this.db();
          for (let i = 0; i < perTick; i++) {
            const n = 1 + Math.floor(Math.random() * this.stats.rows);
            k++;
            await conn.query('UPDATE erp_customers SET name = ?, modified_at = CURRENT_TIMESTAMP(3) WHERE customer_no = ?', [`Customer ${n} v${k}`, codeOf(n)]);
            this.stats.updates++;
          }
        } catch {
          this.stats.failed++;
          await this.reconnect();
          await sleep(500);
        }
        await sleep(everyMs);
      }
    })();
  }

  async stopMutating(): Promise<void> {
    this.mutating = false;
    await this.mutator;
  }

  /** Every row: customer_no → name (the latest state the hub and the target must end with). */
  async rows(): Promise<Map<string, { name: string; currency: string }>> {
    const [rows] = await this.db().query<RowDataPacket[]>('SELECT customer_no, name, currency FROM erp_customers');
    return new Map(rows.map((r) => [String(r['customer_no']), { name: String(r['name']), currency: String(r['currency']) }]));
  }

  async close(): Promise<void> {
    await this.stopMutating();
    await this.pool?.end().catch(() => undefined);
    this.pool = undefined;
  }
}
