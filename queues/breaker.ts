import type { Redis } from 'ioredis';

export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

export interface BreakerSettings {
  /** Consecutive failed batches that open the breaker. */
  readonly failures: number;
  /** How long an open breaker waits before it lets one probe through. */
  readonly cooldownMs: number;
}

export interface BreakerStatus {
  readonly state: BreakerState;
  readonly failures: number;
  readonly openedAt: string | null;
  /** When an open breaker lets the next probe through. */
  readonly retryAt: string | null;
}

export type Admission = { readonly ok: true; readonly probe: boolean } | { readonly ok: false; readonly waitMs: number };

// KEYS[1] state hash; ARGV: now, cooldown. Returns {admit(0|1), probe(0|1), waitMs}.
const ADMIT = `
local s = redis.call('HMGET', KEYS[1], 'state', 'retryAt', 'probeUntil')
local state = s[1] or 'closed'
local now = tonumber(ARGV[1])
if state == 'closed' then return {1, 0, 0} end
local retryAt = tonumber(s[2] or '0')
if now < retryAt then return {0, 0, retryAt - now} end
local probeUntil = tonumber(s[3] or '0')
if now < probeUntil then return {0, 0, probeUntil - now} end
redis.call('HSET', KEYS[1], 'state', 'half_open', 'probeUntil', tostring(now + tonumber(ARGV[2])))
return {1, 1, 0}`;

// KEYS[1]; ARGV: now, threshold, cooldown. Returns the new state.
const FAIL = `
local n = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
local now = tonumber(ARGV[1])
if state == 'half_open' or (state == 'closed' and n >= tonumber(ARGV[2])) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'openedAt', tostring(now), 'retryAt', tostring(now + tonumber(ARGV[3])), 'probeUntil', '0')
  return 'open'
end
return state`;

/**
 * A circuit breaker per target, kept in Redis so every worker process sees the same state. After
 * `failures` failed batches in a row it opens: no delivery is tried until the cool-down has passed;
 * then one probe batch goes through (half open); its success closes the breaker, its failure opens
 * it for another cool-down.
 */
export class CircuitBreaker {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly settings: BreakerSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Until when a closed state read from Redis is trusted without asking again (saves a round trip per batch). */
  private closedUntil = 0;

  async admit(): Promise<Admission> {
    if (this.now() < this.closedUntil) return { ok: true, probe: false };
    const [admit, probe, wait] = (await this.redis.eval(ADMIT, 1, this.key, String(this.now()), String(this.settings.cooldownMs))) as [number, number, number];
    if (admit === 1 && probe === 0) this.closedUntil = this.now() + 250;
    return admit === 1 ? { ok: true, probe: probe === 1 } : { ok: false, waitMs: Math.max(1, Number(wait)) };
  }

  /** A batch failed as a whole (the target is unwell); returns the state after it. */
  async failure(): Promise<BreakerState> {
    this.closedUntil = 0;
    return (await this.redis.eval(FAIL, 1, this.key, String(this.now()), String(this.settings.failures), String(this.settings.cooldownMs))) as BreakerState;
  }

  /** A batch reached the target: the breaker closes and the failure run starts again. */
  async success(): Promise<void> {
    await this.redis.hset(this.key, { state: 'closed', failures: '0', retryAt: '0', probeUntil: '0' });
  }

  async reset(): Promise<void> {
    await this.redis.del(this.key);
  }

  async status(): Promise<BreakerStatus> {
    const h = await this.redis.hgetall(this.key);
    const state = (h['state'] as BreakerState | undefined) ?? 'closed';
    const iso = (v: string | undefined) => (v && Number(v) > 0 ? new Date(Number(v)).toISOString() : null);
    return { state, failures: Number(h['failures'] ?? 0), openedAt: state === 'closed' ? null : iso(h['openedAt']), retryAt: state === 'open' ? iso(h['retryAt']) : null };
  }
}
