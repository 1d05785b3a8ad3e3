import Database from 'better-sqlite3';
const db = new Database('/tmp/feedbench/hub.sqlite', { readonly: true });
const run = (label: string, q: string, args: (after: string) => unknown[]) => {
  const st = db.prepare(q);
  for (let k = 0; k < 2; k++) {
    const t = performance.now(); let n = 0; let after = '';
    for (;;) { const rows = st.all(...args(after)) as any[]; n += Math.min(rows.length, 2000); if (rows.length < 2001) break; after = rows[1999].id; }
    if (k) console.log(label, n, (performance.now() - t).toFixed(0), 'ms');
  }
};
run('store exact', 'select "id", "data", "id" as "sort_value" from "hub_receivables" where "deleted_at" is null and "status" = ? and ("id" > ? or ("id" = ? and "id" > ?)) order by "id" asc, "id" asc limit ?', (a) => ['open', a, a, a, 2001]);
run('single order term', 'select "id", "data", "id" as "sort_value" from "hub_receivables" where "deleted_at" is null and "status" = ? and ("id" > ? or ("id" = ? and "id" > ?)) order by "id" asc limit ?', (a) => ['open', a, a, a, 2001]);
run('no or', 'select "id", "data", "id" as "sort_value" from "hub_receivables" where "deleted_at" is null and "status" = ? and "id" > ? order by "id" asc, "id" asc limit ?', (a) => ['open', a, 2001]);
