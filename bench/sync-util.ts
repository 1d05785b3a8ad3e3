/** Small pieces the sync benchmarks share: command-line numbers, waiting, formatting, RSS sampling, percentiles. */
import { readFileSync } from 'node:fs';

export const MYSQL_SERVER_URL = process.env['HUB_BENCH_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306';
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const ADMIN_PASSWORD = 'admin-password-for-benchmarks';

// ---------------------------------------------------------------- command line

/** `--name N` from the command line (after the benchmark's name), or the default; N > 0 (≥ 0 with `allowZero`). */
export function numberArg(name: string, fallback: number, allowZero = false): number {
  const argv = process.argv;
  const i = argv.indexOf(`--${name}`);
  const inline = argv.find((a) => a.startsWith(`--${name}=`));
  const text = inline ? inline.slice(name.length + 3) : i >= 0 ? argv[i + 1] : undefined;
  if (text === undefined) return fallback;
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !allowZero)) throw new Error(`--${name} needs a ${allowZero ? 'non-negative' : 'positive'} number, not ${text}`);
  return n;
}

// ---------------------------------------------------------------- small things

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** Waits until `probe` answers true, checking every `everyMs`; throws after `timeoutMs`. */
export async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Samples `process.memoryUsage().rss` every `everyMs` and keeps the peak. */
export class RssSampler {
  peak = process.memoryUsage().rss;
  /** Peak of V8's used heap at the same samples (what the JavaScript objects held). */
  heapPeak = process.memoryUsage().heapUsed;
  private readonly timer: NodeJS.Timeout;
  constructor(everyMs = 200) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }
  sample(): number {
    const m = process.memoryUsage();
    if (m.rss > this.peak) this.peak = m.rss;
    if (m.heapUsed > this.heapPeak) this.heapPeak = m.heapUsed;
    return m.rss;
  }
  /** Starts new peaks from the current figures. */
  reset(): void {
    const m = process.memoryUsage();
    this.peak = m.rss;
    this.heapPeak = m.heapUsed;
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** CPU time (user + system, µs) a process has used so far, from /proc (Linux); 0 where unreadable. */
export function processCpuMicros(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'; utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Resident set size of a process in bytes, from /proc (Linux); 0 where unreadable. */
export function processRss(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** USER_HZ: Linux reports process times in ticks of 1/100 s on every common build. */
const CLOCK_TICKS = 100;
