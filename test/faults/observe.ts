import type { HubApi } from './hub.js';
import { sleep } from './services.js';

/**
 * What an operator sees: every second, `GET /api/v1/sync/connectors`, `/readyz` and `/metrics`,
 * kept as samples, so that a scenario can say what the status showed while its fault lasted.
 */

export interface Sample {
  /** When the sample was asked for, and when its last answer came (or timed out). */
  readonly at: number;
  readonly end: number;
  /** HTTP status of the status call, or `down` when the API did not answer. */
  readonly api: string;
  readonly readyz: string;
  /** connector → what it showed. */
  readonly connectors: Record<string, { state: string; breaker: string | null; queue: number | null; lag: number | null; errors: string[]; deadLetters: number }>;
  readonly metrics: { breakerOpen: number; deadLettersOpen: number; queueJobs: number; lagMax: number } | null;
}

export interface FaultWindow {
  readonly label: string;
  readonly from: number;
  to: number | null;
}

function metricSum(text: string, name: string, reduce: (a: number, b: number) => number = (a, b) => a + b): number {
  let acc = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) acc = reduce(acc, v);
  }
  return acc;
}

export class Observer {
  readonly samples: Sample[] = [];
  readonly windows: FaultWindow[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly api: () => HubApi | undefined, readonly everyMs = 1000) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    // A sample every second even while the hub does not answer (each call times out after 3 s):
    // samples overlap rather than leave a hole in the fault window.
    this.loop = (async () => {
      const inFlight = new Set<Promise<void>>();
      while (this.running) {
        if (inFlight.size < 4) {
          const p: Promise<void> = this.sample().catch(() => undefined).finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        await sleep(this.everyMs);
      }
      await Promise.all(inFlight);
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  faultStart(label: string): FaultWindow {
    const w: FaultWindow = { label, from: Date.now(), to: null };
    this.windows.push(w);
    return w;
  }

  faultEnd(w: FaultWindow): void {
    w.to ??= Date.now();
  }

  private async sample(): Promise<void> {
    const api = this.api();
    if (!api) return;
    const at = Date.now();
    const [[status, connectors], readyz, metrics] = await Promise.all([
      this.status(api),
      api.call('GET', '/readyz', undefined, 3000).then((r) => String(r.status), () => 'down'),
      this.metrics(api),
    ]);
    this.samples.push({ at, end: Date.now(), api: status, readyz, connectors, metrics });
  }

  private async status(api: HubApi): Promise<[string, Sample['connectors']]> {
    let status = 'down';
    const connectors: Sample['connectors'] = {};
    try {
      const res = await api.call('GET', '/api/v1/sync/connectors', undefined, 3000);
      status = String(res.status);
      if (res.status === 200) {
        for (const c of (res.body as { items: any[] }).items) {
          const q = c.queue as Record<string, number> | null;
          connectors[String(c.id)] = {
            state: String(c.state),
            breaker: c.breaker ? String(c.breaker.state ?? JSON.stringify(c.breaker)) : null,
            queue: q ? (q['waiting'] ?? 0) + (q['active'] ?? 0) + (q['delayed'] ?? 0) + (q['prioritized'] ?? 0) : null,
            lag: Math.max(-1, ...(c.entities as any[]).map((e) => (typeof e.lagSeconds === 'number' ? e.lagSeconds : -1))),
            errors: (c.entities as any[]).filter((e) => e.lastErrorCode && (!e.lastSuccessAt || e.lastErrorAt > e.lastSuccessAt)).map((e) => `${e.direction}:${e.lastErrorCode}`),
            deadLetters: (c.entities as any[]).reduce((s, e) => s + (e.openDeadLetters ?? 0), 0),
          };
        }
      }
    } catch {
      status = 'down';
    }
    return [status, connectors];
  }

  private async metrics(api: HubApi): Promise<Sample['metrics']> {
    try {
      const text = await api.metrics(3000);
      return {
        breakerOpen: metricSum(text, 'hub_sync_breaker_open'),
        deadLettersOpen: metricSum(text, 'hub_sync_dead_letters_open'),
        queueJobs: metricSum(text, 'hub_sync_queue_jobs'),
        lagMax: metricSum(text, 'hub_sync_lag_seconds', Math.max),
      };
    } catch {
      return null;
    }
  }

  /** Samples taken inside the fault windows (plus `graceMs` after each, for a status polled late). */
  during(graceMs = 1500): Sample[] {
    return this.samples.filter((s) => this.windows.some((w) => s.end >= w.from && s.at <= (w.to ?? Date.now()) + graceMs));
  }

  /** A short account of what the samples showed that an operator would notice. */
  static describe(samples: readonly Sample[]): { signals: string[]; text: string } {
    const signals = new Set<string>();
    let maxQueue = 0;
    let maxLag = 0;
    // Dead letters count as a sign of this fault only when more of them open during it.
    const firstDead = new Map<string, number>();
    for (const s of [...samples].sort((a, b) => a.at - b.at)) {
      if (s.api !== '200') signals.add(`status API ${s.api}`);
      if (s.readyz !== '200') signals.add(`readyz ${s.readyz}`);
      for (const [id, c] of Object.entries(s.connectors)) {
        if (c.state === 'degraded' || c.state === 'paused') signals.add(`${id} ${c.state}`);
        if (c.breaker && c.breaker !== 'closed') signals.add(`${id} breaker ${c.breaker}`);
        for (const e of c.errors) signals.add(`${id} ${e}`);
        if (!firstDead.has(id)) firstDead.set(id, c.deadLetters);
        else if (c.deadLetters > firstDead.get(id)!) signals.add(`${id} DLQ +${c.deadLetters - firstDead.get(id)!}`);
        maxQueue = Math.max(maxQueue, c.queue ?? 0);
        maxLag = Math.max(maxLag, c.lag ?? 0);
      }
      if (s.metrics && s.metrics.breakerOpen > 0) signals.add('metric breaker_open');
    }
    const extra = samples.length ? ` (queue≤${maxQueue}, lag≤${Math.round(maxLag)}s, ${samples.length} samples)` : ' (no samples)';
    return { signals: [...signals], text: (signals.size ? [...signals].slice(0, 6).join(', ') : 'nothing') + extra };
  }
}
