import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES } from '../../core/model/entities.js';
import { RecordRepository } from '../../core/store/records.js';
import { startTestHub, type TestHub } from '../helpers.js';
import { mappingDir } from './mappings/fixtures.js';
import { customerSourceFiles } from './sync-fixtures.js';

/**
 * An API write to a record between an ingest page's read and its write is a lost race of the hub's
 * own, not a refusal of the source's change: the page runs again on the fresh record, and no dead
 * letter is made (the fault suite found `precondition_failed` dead letters under concurrent writers).
 */
describe('ingest that loses a race with another writer', () => {
  let t: TestHub;

  beforeAll(async () => {
    t = await startTestHub({
      env: { ERP_URL: 'mysql://root@127.0.0.1:9/none' },
      config: {
        mappings: { dirs: [mappingDir(customerSourceFiles('erp'))] },
        // The pool connects on first use; this test hands rows to the ingestor and never reads the source.
        connectors: { erp: { type: 'mysql', urlEnv: 'ERP_URL', tables: { customers: { table: 'erp_customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'currency'] } } } },
        sync: { sources: { erp: { entities: ['customer'], pollIntervalSeconds: 0 } } },
      },
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('runs the page again on the fresh record instead of dead-lettering the change', async () => {
    const source = t.hub.sync.sources.get('erp')!.source;
    await t.hub.sync.ingestor.ingest(source, 'customer', [{ customer_no: 'RACE-1', name: 'Before', currency: 'EUR' }], 'test');
    const [created] = (await t.hub.store.records.findByColumn(ENTITIES.customer, 'code', ['RACE-1']));
    expect(created).toBeDefined();

    // Another writer wins the first two tries: the conditional update finds a newer version.
    const original = RecordRepository.prototype.update;
    let lost = 0;
    RecordRepository.prototype.update = async function (this: RecordRepository, ...args: Parameters<RecordRepository['update']>) {
      if (lost < 2) {
        lost++;
        return false;
      }
      return original.apply(this, args);
    };
    try {
      const result = await t.hub.sync.ingestor.ingest(source, 'customer', [{ customer_no: 'RACE-1', name: 'After', currency: 'EUR' }], 'test');
      expect(lost).toBe(2);
      expect(result.counts.failed ?? 0).toBe(0);
      expect(result.counts.ingested).toBe(1);
    } finally {
      RecordRepository.prototype.update = original;
    }
    expect((await t.hub.store.records.get(ENTITIES.customer, created!.id))?.['name']).toBe('After');
    expect(await t.hub.store.deadLetters.list({ target: 'erp' }, 10)).toEqual([]);
  });

  it('a first contact another page created meanwhile (a poll and a backfill of the same rows) is found on a second run, not dead-lettered as a duplicate', async () => {
    const source = t.hub.sync.sources.get('erp')!.source;
    const ingestor = t.hub.sync.ingestor as unknown as { match: (...args: unknown[]) => Promise<void> };
    const match = ingestor.match;
    let raced = false;
    // Right after this page looked for RACE-2 in the hub (and found nothing), another page of the same
    // row creates and links it.
    ingestor.match = async function (this: unknown, ...args: unknown[]) {
      await match.apply(this, args);
      if (raced) return;
      raced = true;
      await t.hub.sync.ingestor.ingest(source, 'customer', [{ customer_no: 'RACE-2', name: 'Both', currency: 'EUR' }], 'other-page');
    };
    try {
      const result = await t.hub.sync.ingestor.ingest(source, 'customer', [{ customer_no: 'RACE-2', name: 'Both', currency: 'EUR' }], 'test');
      expect(raced).toBe(true);
      expect(result.counts.failed ?? 0).toBe(0);
    } finally {
      ingestor.match = match;
    }
    expect(await t.hub.store.records.findByColumn(ENTITIES.customer, 'code', ['RACE-2'])).toHaveLength(1);
    expect(await t.hub.store.deadLetters.list({ target: 'erp' }, 10)).toEqual([]);
  });
});
