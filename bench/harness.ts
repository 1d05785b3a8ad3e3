/**
 * Shared timing for the benchmarks under `bench/`: warm up, calibrate the round size from the
 * warm-up rate, time several rounds with `process.hrtime.bigint()`, report the median rate.
 */
import { availableParallelism, cpus } from 'node:os';

export interface MeasureOptions {
  /** Iterations run (and timed, for calibration) before measuring. */
  readonly warmup?: number;
  readonly rounds?: number;
  /** Target wall time of one round; the iteration count per round is derived from the warm-up rate. */
  readonly roundSeconds?: number;
  readonly minPerRound?: number;
  readonly maxPerRound?: number;
}

export interface CaseResult {
  readonly name: string;
  readonly label: string;
  /** Median of the per-round rates. */
  readonly perSecond: number;
  readonly roundRates: readonly number[];
  readonly perRound: number;
}

/** Accumulates something from every result so the work cannot be optimised away. */
let sink = 0;
export function sinkValue(): number {
  return sink;
}

function loop(fn: (i: number) => number, n: number): bigint {
  let acc = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) acc = (acc + fn(i)) | 0;
  const elapsed = process.hrtime.bigint() - start;
  sink = (sink + acc) | 0;
  return elapsed;
}

const rate = (n: number, ns: bigint): number => (n * 1e9) / Number(ns);

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export interface BenchCase {
  readonly name: string;
  readonly label: string;
  /** One operation; `i` is the iteration number. Return any number derived from the result. */
  readonly fn: (i: number) => number;
}

/**
 * Times several cases with their rounds interleaved (round 1 of every case, then round 2, ...), so
 * drift on a busy machine (other processes, GC, CPU frequency) affects every case alike.
 */
export function measureAll(cases: readonly BenchCase[], options: MeasureOptions = {}): CaseResult[] {
  const { warmup = 20_000, rounds = 5, roundSeconds = 0.6, minPerRound = 10_000, maxPerRound = 2_000_000 } = options;
  const plans = cases.map((c) => {
    const warmRate = rate(warmup, loop(c.fn, warmup));
    return { c, perRound: Math.max(minPerRound, Math.min(maxPerRound, Math.round(warmRate * roundSeconds))), rates: [] as number[] };
  });
  for (let r = 0; r < rounds; r++) for (const p of plans) p.rates.push(rate(p.perRound, loop(p.c.fn, p.perRound)));
  return plans.map((p) => ({ name: p.c.name, label: p.c.label, perSecond: median(p.rates), roundRates: p.rates, perRound: p.perRound }));
}

/** Times one case. */
export function measure(name: string, label: string, fn: (i: number) => number, options: MeasureOptions = {}): CaseResult {
  const [result] = measureAll([{ name, label, fn }], options);
  if (!result) throw new Error('no result');
  return result;
}

const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** One human-readable line for a case. */
export function describe(result: CaseResult, unit: string): string {
  const min = Math.min(...result.roundRates);
  const max = Math.max(...result.roundRates);
  const us = (1e6 / result.perSecond).toFixed(2);
  return `  ${result.label.padEnd(44)} ${fmt.format(result.perSecond).padStart(11)} ${unit}/s  (${us} µs each; median of ${result.roundRates.length} × ${fmt.format(result.perRound)}, range ${fmt.format(min)}–${fmt.format(max)})`;
}

export function environment(): { node: string; cpus: number } {
  return { node: process.version, cpus: typeof availableParallelism === 'function' ? availableParallelism() : cpus().length };
}
