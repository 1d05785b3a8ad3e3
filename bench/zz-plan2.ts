import Database from 'better-sqlite3';
const db = new Database('/tmp/feedbench/hub.sqlite', { readonly: true });
console.log(db.prepare('select avg(length(data)) a, count(*) n from hub_receivables').get());
for (const [label, q] of [['id only', "select id from hub_receivables where status = 'open'"], ['id,data', "select id, data from hub_receivables where status = 'open'"], ['pk all id,data', 'select id, data from hub_receivables'], ['rowid order', 'select id, data from hub_receivables order by rowid']] as const) {
  for (let k = 0; k < 2; k++) { const t = performance.now(); const rows = db.prepare(q).all(); if (k) console.log(label, rows.length, (performance.now() - t).toFixed(0), 'ms'); }
}
const t = performance.now(); let n = 0; for (const r of db.prepare('select data from hub_receivables').all() as any[]) { JSON.parse(r.data); n++; } console.log('all+parse', n, (performance.now() - t).toFixed(0));
