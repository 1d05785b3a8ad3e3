// `npm start`: one node process that builds dist/ when needed and then *is* the hub (`hub serve`),
// so that a process manager's SIGTERM reaches the hub itself and ends it, port and all (a shell
// chain `ensure-built && node … serve` left the hub running when npm was signalled).
import { pathToFileURL } from 'node:url';
import { ensureBuilt } from './ensure-built.mjs';

const hub = ensureBuilt();
process.argv = [process.argv[0], hub, 'serve', ...process.argv.slice(2)];
await import(pathToFileURL(hub).href);
