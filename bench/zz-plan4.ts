import { sql, Kysely, SqliteDialect } from 'kysely';
import Database from 'better-sqlite3';
import { Store } from '../core/store/store.js';
const store = await Store.open(undefined, '/tmp/feedbench');
const plain = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database('/tmp/feedbench/hub.sqlite') }) });
const loop = async (label: string, db: any) => {
  for (let k = 0; k < 3; k++) {
    const t = performance.now(); let n = 0; let after = '';
    for (;;) { const rows = (await sql`select id, data from hub_receivables where deleted_at is null and status = 'open' and id > ${after} order by id limit 2000`.execute(db)).rows as any[]; n += rows.length; if (rows.length < 2000) break; after = rows[rows.length - 1].id; }
    if (k) console.log(label, n, (performance.now() - t).toFixed(0), 'ms');
  }
};
await loop('plain kysely', plain);
await loop('store db', (store as any).db);
await loop('plain kysely', plain);
await store.close(); await plain.destroy();
