import { Store } from '../core/store/store.js';
import { owedReceivablePages } from '../queues/feeds/owed.js';
const store = await Store.open(undefined, '/tmp/feedbench');
for (let k = 0; k < 6; k++) { const c = process.cpuUsage(); let n = 0; for await (const p of owedReceivablePages(store)) n += p.length; const u = process.cpuUsage(c); console.log(n, ((u.user + u.system) / 1e3).toFixed(0), 'ms cpu'); }
await store.close();
