import { createHash } from 'node:crypto';

/** The few Redis commands the login throttle uses (ioredis satisfies it). */
export interface ThrottleRedis {
  incr(key: string): Promise<number>;
  pexpire(key: string, ms: number): Promise<number>;
  pttl(key: string): Promise<number>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
}

/**
 * Counts failed logins per (username, address) in Redis, so the limit holds across processes.
 * After `maxFailures` failures within `windowSeconds`, further attempts are refused until the
 * window ends, even with the right password.
 */
export class LoginThrottle {
  constructor(
    private readonly redis: ThrottleRedis,
    private readonly prefix: string,
    private readonly maxFailures: number,
    private readonly windowSeconds: number,
  ) {}

  private key(username: string, address: string): string {
    // Hashed so that neither names nor addresses sit in Redis in clear.
    const digest = createHash('sha256').update(`${username.toLowerCase()}\u0000${address}`).digest('base64url');
    return `${this.prefix}login-failures:${digest}`;
  }

  /** Seconds until attempts are allowed again, or 0 when they are allowed now. */
  async blockedFor(username: string, address: string): Promise<number> {
    const key = this.key(username, address);
    const count = Number((await this.redis.get(key)) ?? 0);
    if (count < this.maxFailures) return 0;
    const ttl = await this.redis.pttl(key);
    return ttl > 0 ? Math.ceil(ttl / 1000) : 0;
  }

  async recordFailure(username: string, address: string): Promise<void> {
    const key = this.key(username, address);
    const count = await this.redis.incr(key);
    if (count === 1) await this.redis.pexpire(key, this.windowSeconds * 1000);
  }

  async reset(username: string, address: string): Promise<void> {
    await this.redis.del(this.key(username, address));
  }
}
