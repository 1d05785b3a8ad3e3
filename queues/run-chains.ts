import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const WEEK_S = 7 * 86_400;

const ADOPT = `local v = redis.call('GET', KEYS[1])
if not v then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return 1 end
if v == ARGV[1] then return 1 end
return 0`;

/**
 * A backfill runs as a chain of slice jobs, each queuing the next. When a chain is lost (Redis
 * restarted without its data, a job that ran out of attempts) the watchdog starts a new chain from
 * the run's checkpoint; the token kept here says which chain is current, so an old chain that turns
 * out to be alive stops at its next slice instead of doubling the work.
 */
export class RunChains {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(runId: string): string {
    return `${this.prefix}:sync:run:${runId}:chain`;
  }

  /** True when a slice of `chain` may go on (the run's current chain, or the run has none yet: adopted). */
  async current(runId: string, chain: string | undefined): Promise<boolean> {
    return (await this.redis.eval(ADOPT, 1, this.key(runId), chain ?? 'first', String(WEEK_S))) === 1;
  }

  /** Makes a new chain current and returns its token (the old chain stops at its next slice). */
  async supersede(runId: string): Promise<string> {
    const token = randomUUID();
    await this.redis.set(this.key(runId), token, 'EX', WEEK_S);
    return token;
  }
}
