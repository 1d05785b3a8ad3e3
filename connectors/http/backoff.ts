/**
 * `Retry-After` parsing for HTTP connectors. The queue layer owns the retry loop and its delays
 * (queues/delivery.ts `retryDelay`, never below the Retry-After a connector reports).
 */

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
