/**
 * Benchmark dispatcher: `npm run bench -- <name> [options]` runs the exported `run()` of `bench/<name>.ts`;
 * `npm run bench` runs every one, each in a process of its own.
 * To add a benchmark, write `bench/<name>.ts` exporting `run()` and add one entry below.
 */

interface Benchmark {
  readonly description: string;
  readonly load: () => Promise<{ run: () => void | Promise<void> }>;
  /**
   * V8 old-space cap (MB) the benchmark runs under unless `--heap-mb N` says otherwise (0: none):
   * the setting the README recommends for worker processes, without which V8 keeps garbage while
   * memory is plentiful and the RSS says little about what the hub needs.
   */
  readonly heapMb?: number;
}

const BENCHMARKS: Readonly<Record<string, Benchmark>> = {
  policy: { description: 'policy projection of an order (mixed allow/deny/mask/hash rules, default roles, hand-written baseline)', load: () => import('./policy.js') },
  mapping: { description: 'compiled mappings: 25-column customer out/in, 10-line ERPNext order out/in, hand-written baselines, projection share', load: () => import('./mapping.js') },
  backfill: { description: 'MariaDB → hub → HTTP batch sink backfill of 100k customers (--records N) against a raw keyset-read + POST pipe; RSS peak', load: () => import('./backfill.js') },
  incremental: { description: 'API PATCH → hub → HTTP batch sink latency at 200 writes/s for 10 s (--seconds S, --rate W); raw POST round trip as baseline', load: () => import('./incremental.js') },
  ui: { description: 'web UI first page interactive in Debian Chromium with the demo data (median of cold loads) against a no-script page as baseline', load: () => import('./ui.js') },
  feed: { description: 'receivables feed: 100k open receivables (--records N, --customers C) in SQLite aged, projected and written as a signed CSV (goal ≥ 100k records/s, < 200 MB RSS); the plain scan as baseline; load average', load: () => import('./feed.js'), heapMb: 160 },
  memory: { description: 'backfill of 1M customers (--records N, --raw for the raw pipe too, --heap-mb N: V8 heap cap, default 160, 0 none): peak RSS (goal < 300 MB) and records/s', load: () => import('./memory.js'), heapMb: 160 },
};

function usage(problem: string): never {
  console.error(problem);
  console.error('Usage: npm run bench [-- <name>] [--records N] [--seconds S]\nAvailable benchmarks:');
  for (const [name, b] of Object.entries(BENCHMARKS)) console.error(`  ${name.padEnd(12)} ${b.description}`);
  process.exit(2);
}

const name = process.argv[2];
if (!name || name.startsWith('--')) {
  // Every benchmark, each in a process of its own (memory figures stay apart), with the same options.
  const { spawnSync } = await import('node:child_process');
  let failed = 0;
  for (const each of Object.keys(BENCHMARKS)) {
    const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, each, ...process.argv.slice(2)], { stdio: 'inherit' });
    if (r.status !== 0) failed++;
  }
  process.exit(failed > 0 ? 1 : 0);
}
const bench = Object.hasOwn(BENCHMARKS, name) ? BENCHMARKS[name] : undefined;
if (!bench) usage(`Unknown benchmark: ${name}`);
const heapArg = process.argv.indexOf('--heap-mb');
const heapMb = heapArg > 0 ? Number(process.argv[heapArg + 1]) : bench.heapMb;
if (heapMb !== undefined && !Number.isInteger(heapMb)) usage('--heap-mb takes a whole number of MB (0: no cap)');
const capped = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)].some((a) => a.startsWith('--max-old-space-size'));
if (heapMb && !capped) {
  // Run under the cap (a V8 heap limit is fixed when the process starts): this process only waits.
  const { spawnSync } = await import('node:child_process');
  console.log(`(${name}: V8 heap capped at ${heapMb} MB, the setting the README recommends for workers; --heap-mb 0 runs without a cap)`);
  const r = spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
await (await bench.load()).run();
// A benchmark leaves nothing running that matters (stray timers, sockets in a pool's grace period).
process.exit(process.exitCode ?? 0);
