import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConnectorError, type Connector } from '../../connectors/contract.js';
import { ConnectorChecks } from '../../queues/checks.js';

/** A Redis hash, enough for the checks. */
function fakeRedis() {
  const hashes = new Map<string, Map<string, string>>();
  return {
    hashes,
    redis: {
      hset: async (key: string, field: string, value: string) => {
        hashes.set(key, (hashes.get(key) ?? new Map()).set(field, value));
        return 1;
      },
      hgetall: async (key: string) => Object.fromEntries(hashes.get(key) ?? []),
    } as unknown as Redis,
  };
}

const connector = (check: () => Promise<void>): Connector => ({
  describe: () => ({ connector: 'x', entities: {} }),
  check,
  read: async () => ({ records: [], cursor: null }),
  upsert: async () => [],
  keyOf: () => '',
  close: async () => undefined,
});

describe('connector checks', () => {
  it('records ok, a connector error by code and message, a foreign error by its kind only, and a timeout', async () => {
    const { redis } = fakeRedis();
    const connectors = new Map<string, Connector>([
      ['good', connector(async () => undefined)],
      ['locked', connector(async () => Promise.reject(new ConnectorError('permanent', 'unauthorized', 'locked refused the credentials')))],
      ['odd', connector(async () => Promise.reject(new TypeError('password=hunter2 in a driver message')))],
      ['slow', connector(() => new Promise<void>(() => undefined))],
    ]);
    const checks = new ConnectorChecks(connectors, redis, 'p', pino({ level: 'silent' }), 50);
    expect(await checks.run('good')).toEqual({ ok: true, checkedAt: expect.any(String) });
    expect(await checks.run('locked')).toEqual({ ok: false, checkedAt: expect.any(String), error: { code: 'connector_unauthorized', message: 'locked refused the credentials' } });
    const odd = await checks.run('odd');
    expect(odd.error).toEqual({ code: 'check_failed', message: 'odd failed its check (TypeError)' });
    expect(JSON.stringify(odd)).not.toContain('hunter2');
    expect((await checks.run('slow')).error).toEqual({ code: 'check_timeout', message: 'slow did not answer its check within 0.05 s' });
    expect([...(await checks.last()).keys()].sort()).toEqual(['good', 'locked', 'odd', 'slow']);
    expect(checks.has('nowhere')).toBe(false);
  });

  it('runAll checks the named connectors that exist and never throws', async () => {
    const { redis } = fakeRedis();
    const checks = new ConnectorChecks(new Map([['a', connector(async () => Promise.reject(new Error('boom')))]]), redis, 'p', pino({ level: 'silent' }));
    await checks.runAll(['a', 'missing']);
    const last = await checks.last();
    expect(last.get('a')).toMatchObject({ ok: false, error: { code: 'check_failed' } });
    expect(last.has('missing')).toBe(false);
  });
});
