import type { Redis } from 'ioredis';

const ACQUIRE = `
local out = {}
for i, key in ipairs(KEYS) do
  local cur = redis.call('GET', key)
  if cur == false or cur == ARGV[1] then
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
    out[#out + 1] = i
  end
end
return out`;

const RELEASE = `
local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('DEL', key)
    n = n + 1
  end
end
return n`;

/**
 * Per-record delivery locks in Redis, shared by every worker process: two deliveries of one record
 * to one target never run at once. The owner is the job id, so a job taken up again after its worker
 * died (stalled-job recovery) gets its own locks back; the TTL frees locks nobody will release.
 */
export class RecordLocks {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(target: string, entity: string, id: string): string {
    return `${this.prefix}:lock:${target}:${entity}:${id}`;
  }

  /** Takes the locks that are free (or already ours); returns the ids taken and the ids held by others. */
  async acquire(target: string, entity: string, ids: readonly string[], owner: string, ttlMs: number): Promise<{ acquired: string[]; busy: string[] }> {
    if (ids.length === 0) return { acquired: [], busy: [] };
    const taken = (await this.redis.eval(ACQUIRE, ids.length, ...ids.map((id) => this.key(target, entity, id)), owner, String(ttlMs))) as number[];
    const set = new Set(taken.map((i) => i - 1));
    return { acquired: ids.filter((_, i) => set.has(i)), busy: ids.filter((_, i) => !set.has(i)) };
  }

  async release(target: string, entity: string, ids: readonly string[], owner: string): Promise<void> {
    if (ids.length === 0) return;
    await this.redis.eval(RELEASE, ids.length, ...ids.map((id) => this.key(target, entity, id)), owner);
  }
}
