/**
 * Retry timing for HTTP connectors: exponential backoff with full jitter, and `Retry-After` parsing.
 * The queue layer owns the retry loop; these only compute how long to wait.
 */

export interface BackoffOptions {
  /** Cap of the first retry's window, in ms. Default 1000. */
  readonly baseMs?: number;
  /** Largest window, in ms (a server's Retry-After may still exceed it). Default 60000. */
  readonly maxMs?: number;
  /** What the server asked for; the delay is never shorter. */
  readonly retryAfterMs?: number | undefined;
  /** Random source in [0, 1). Default `Math.random`; injected by tests. */
  readonly random?: () => number;
}

/**
 * Delay before retry number `attempt` (1 = the first retry): a uniform draw in
 * [0, min(maxMs, baseMs · 2^(attempt−1))] — "full jitter", so that many workers throttled at the same
 * moment do not come back at the same moment — raised to `retryAfterMs` when the server named one.
 */
export function backoffMs(attempt: number, options: BackoffOptions = {}): number {
  const baseMs = options.baseMs ?? 1000;
  const maxMs = options.maxMs ?? 60_000;
  const random = options.random ?? Math.random;
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2 ** 1024 is Infinity; min() keeps the window finite.
  const window = Math.min(maxMs, baseMs * 2 ** Math.min(exponent, 1023));
  const draw = Math.floor(Math.min(Math.max(random(), 0), 1) * window);
  const floor = options.retryAfterMs !== undefined && options.retryAfterMs > 0 ? options.retryAfterMs : 0;
  return Math.max(draw, floor);
}

/**
 * A `Retry-After` header value in ms from `nowMs`: delta-seconds (`120`) or an HTTP date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`). Undefined when absent or unreadable; a past date gives 0.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
