/**
 * Benchmark dispatcher: `npm run bench -- <name>` runs the exported `run()` of `bench/<name>.ts`.
 * To add a benchmark, write `bench/<name>.ts` exporting `run()` and add one entry below.
 */

interface Benchmark {
  readonly description: string;
  readonly load: () => Promise<{ run: () => void | Promise<void> }>;
}

const BENCHMARKS: Readonly<Record<string, Benchmark>> = {
  policy: { description: 'policy projection of an order (mixed allow/deny/mask/hash rules, default roles, hand-written baseline)', load: () => import('./policy.js') },
  mapping: { description: 'compiled mappings: 25-column customer out/in, 10-line ERPNext order out/in, hand-written baselines, projection share', load: () => import('./mapping.js') },
  backfill: { description: 'MariaDB → hub → HTTP batch sink backfill of 100k customers (--records N) against a raw keyset-read + POST pipe; RSS peak', load: () => import('./backfill.js') },
};

function usage(problem: string): never {
  console.error(problem);
  console.error('Usage: npm run bench -- <name>\nAvailable benchmarks:');
  for (const [name, b] of Object.entries(BENCHMARKS)) console.error(`  ${name.padEnd(12)} ${b.description}`);
  process.exit(2);
}

const name = process.argv[2];
if (!name) usage('No benchmark named.');
const bench = Object.hasOwn(BENCHMARKS, name) ? BENCHMARKS[name] : undefined;
if (!bench) usage(`Unknown benchmark: ${name}`);
await (await bench.load()).run();
