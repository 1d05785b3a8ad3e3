// `npm start` runs the compiled hub; build it first when dist/ is missing or older than the sources.
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execSync } from 'node:child_process';

function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) t = Math.max(t, newest(p));
    else if (/\.(ts|yaml)$/.test(entry.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

const marker = 'dist/core/cli/hub.js';
const sources = Math.max(...['core', 'openapi', 'queues', 'connectors', 'mappings'].filter((d) => existsSync(d)).map(newest));
if (!existsSync(marker) || statSync(marker).mtimeMs < sources) {
  process.stderr.write('hub: building (tsc)…\n');
  execSync('npm run build --silent', { stdio: 'inherit' });
}
