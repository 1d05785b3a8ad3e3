// Reports the built web UI's size (what a browser downloads, gzip) after `vite build`; fails past the budget.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 300;
const root = 'dist/ui';
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else files.push(path);
  }
};
walk(root);
let raw = 0;
let gz = 0;
for (const f of files) {
  const data = readFileSync(f);
  raw += data.length;
  gz += gzipSync(data, { level: 9 }).length;
}
const kb = (n) => (n / 1024).toFixed(1);
console.log(`web UI: ${files.length} files, ${kb(raw)} kB, ${kb(gz)} kB gzip (budget ${BUDGET_KB} kB gzip)`);
if (gz > BUDGET_KB * 1024) {
  console.error(`the web UI is over its ${BUDGET_KB} kB gzip budget`);
  process.exit(1);
}
