import { createHash } from 'node:crypto';

/** The few Redis commands the login throttle uses (ioredis satisfies it). */
export interface ThrottleRedis {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  del(key: string): Promise<number>;
}

/**
 * Counts one attempt and reads the window in one step, so that parallel attempts each get their
 * own number: [attempts in the window including this one, milliseconds left in the window].
 */
const RESERVE = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`;

/**
 * Counts login attempts per (username, address) in Redis, so the limit holds across processes.
 * An attempt is counted before its password is checked (the check is slow on purpose: a parallel
 * burst would otherwise all pass a "count so far" test before any failure was recorded); a
 * successful login clears the count. After `maxFailures` counted attempts within
 * `windowSeconds`, further attempts are refused unchecked until the window ends, even with the
 * right password.
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

  /**
   * Counts an attempt. Returns 0 when it may go on to the password check, else the seconds until
   * attempts are allowed again (the attempt is then refused without a check).
   */
  async reserve(username: string, address: string): Promise<number> {
    const [count, ttl] = (await this.redis.eval(RESERVE, 1, this.key(username, address), this.windowSeconds * 1000)) as [number, number];
    if (Number(count) <= this.maxFailures) return 0;
    return Math.max(1, Math.ceil(Number(ttl) / 1000));
  }

  /** Clears the count after a successful login. */
  async reset(username: string, address: string): Promise<void> {
    await this.redis.del(this.key(username, address));
  }
}
