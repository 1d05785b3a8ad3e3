import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers.js';
import { mappingDir } from './mappings/fixtures.js';
import { sinkFiles, startJsonPeer, until, type JsonPeer } from './sync-fixtures.js';

/**
 * A target written record by record stops a batch at its first retryable failure; the records after
 * it are not sent. Those did not fail: their retry spends none of their attempts, so one record that
 * keeps failing does not drag its batch-mates into the dead-letter queue with it (the fault suite saw
 * 176 such dead letters when a target reset 30 % of its connections in bursts).
 */
describe('records a connector did not send spend no attempt', () => {
  let t: TestHub;
  let peer: JsonPeer;
  const held = new Set<string>();

  beforeAll(async () => {
    peer = await startJsonPeer((req, body, reply) => {
      const code = decodeURIComponent(req.url!.split('/').pop()!);
      // One record the target always refuses with a passing error; every other one it takes.
      if (code === 'U-BAD') return reply(503, { error: 'Unavailable' });
      held.add(String(body['code'] ?? code));
      reply(200, { data: { id: code } });
    });
    t = await startTestHub({
      workers: true,
      config: {
        mappings: { dirs: [mappingDir(sinkFiles())] },
        connectors: { sink: { type: 'http', baseUrl: peer.url, entities: { customers: { upsert: { path: '/customers', keyField: 'code', method: 'PUT', responseField: 'data', idField: 'id' } } } } },
        // Two attempts: without the rule, the batch-mates would be dead letters after the second.
        sync: { relayIntervalMs: 100, targets: { sink: { entities: ['customer'], receiver: 'finance', attempts: 2, backoffMs: 100, maxBackoffMs: 200, breaker: { failures: 50, cooldownSeconds: 1 } } } },
      },
    });
  });

  afterAll(async () => {
    await t?.close();
    await peer?.close();
  });

  it('delivers the batch-mates of a failing record and dead-letters that record alone', async () => {
    // One transaction: one batch, the failing record first.
    await t.hub.store.transaction(async (tx) => {
      await t.hub.records.create('customer', { code: 'U-BAD', name: 'Always Failing' }, tx);
      for (let i = 0; i < 5; i++) await t.hub.records.create('customer', { code: `U-${i}`, name: `Untried ${i}` }, tx);
    });
    await until('the batch-mates at the target', () => (held.size === 5 ? true : undefined), 20_000);
    const letters = await until('the dead letter', async () => {
      const l = await t.hub.store.deadLetters.list({ target: 'sink', state: 'open' }, 10);
      return l.length > 0 ? l : undefined;
    });
    expect(letters.map((l) => l.payload['code'])).toEqual(['U-BAD']);
    expect(letters[0]).toMatchObject({ errorCode: 'retries_exhausted' });
    // Deliveries also succeeded meanwhile, but the failures are recent: the connector shows degraded.
    const sink = (await t.hub.sync.status()).find((c) => c.id === 'sink')!;
    expect(sink.entities[0]!.lastSuccessAt).not.toBeNull();
    expect(sink.state).toBe('degraded');
  });
});
