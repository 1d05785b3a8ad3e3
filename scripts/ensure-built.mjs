// `npm start` runs the compiled hub; build it first when dist/ is missing or older than the sources.
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) t = Math.max(t, newest(p));
    else if (/\.(ts|tsx|css|html|yaml)$/.test(entry.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist/ when it is missing or older than the sources (the package root, whatever the working directory). */
export function ensureBuilt() {
  const marker = join(root, 'dist/hub/cli/hub.js');
  const ui = join(root, 'dist/ui/index.html');
  const sources = Math.max(...['core', 'openapi', 'queues', 'connectors', 'mappings', 'hub'].map((d) => join(root, d)).filter((d) => existsSync(d)).map(newest));
  // The web UI's sources count too, and a dist/ without the built UI is not built.
  const stale = (f) => !existsSync(f) || statSync(f).mtimeMs < sources;
  if (stale(marker) || (existsSync(join(root, 'openapi/ui')) && stale(ui))) {
    process.stderr.write('hub: building (tsc and the web UI)…\n');
    execSync('npm run build --silent', { stdio: 'inherit', cwd: root });
  }
  return marker;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) ensureBuilt();
