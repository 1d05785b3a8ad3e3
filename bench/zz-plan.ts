import { sql } from 'kysely';
import { Store } from '../core/store/store.js';
const store = await Store.open(undefined, '/tmp/feedbench');
const db = (store as any).db;
for (const q of [
  sql`explain query plan select id, data, id as sort_value from hub_receivables where deleted_at is null and status = 'open' and (id > 'rec_00050000' or (id = 'rec_00050000' and id > 'rec_00050000')) order by id asc, id asc limit 2001`,
  sql`explain query plan select id, data from hub_receivables where deleted_at is null and status = 'open' and id > 'rec_00050000' order by id asc limit 2001`,
]) console.log((await q.execute(db)).rows.map((r: any) => r.detail));
let t = performance.now(); let n = 0; let after = '';
for (;;) { const rows = (await sql`select id, data from hub_receivables where deleted_at is null and status = 'open' and id > ${after} order by id limit 2000`.execute(db)).rows as any[]; n += rows.length; if (rows.length < 2000) break; after = rows[rows.length - 1].id; }
console.log('simple keyset open', n, (performance.now() - t).toFixed(0), 'ms');
t = performance.now(); n = 0; after = '';
for (;;) { const rows = (await sql`select id, data, id as sort_value from hub_receivables where deleted_at is null and status = 'open' and (id > ${after} or (id = ${after} and id > ${after})) order by id asc, id asc limit 2001`.execute(db)).rows as any[]; n += Math.min(rows.length, 2000); if (rows.length < 2001) break; after = rows[1999].id; }
console.log('store keyset open', n, (performance.now() - t).toFixed(0), 'ms');
await store.close();
