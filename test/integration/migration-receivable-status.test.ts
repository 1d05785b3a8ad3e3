import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES, type StoredRecord } from '../../core/model/entities.js';
import { openDatabase, type OpenedDatabase } from '../../core/store/database.js';
import { migrateToLatest } from '../../core/store/migrate.js';
import { up } from '../../core/store/migrations/0006-receivable-status.js';
import { RecordRepository } from '../../core/store/records.js';

/** Receivables stored before the status was derived (the old demo data: "overdue", "open" though paid) get their payment state. */
describe('migration 0006: stored receivable statuses become payment states', () => {
  let dir: string;
  let opened: OpenedDatabase;
  let records: RecordRepository;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-m0006-'));
    opened = await openDatabase(`sqlite:${join(dir, 'hub.sqlite')}`, dir);
    await migrateToLatest(opened.db, opened.dialect);
    records = new RecordRepository(opened.db, opened.dialect);
  });
  afterAll(async () => {
    await opened?.db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const legacy = (id: string, amount: string, paidAmount: string, status: string): StoredRecord => ({
    id, version: 3, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z',
    number: `INV-${id}`, customerId: 'c1', issueDate: '2026-01-01', dueDate: '2026-02-01', currency: 'EUR', amount, paidAmount, balance: '0', status,
  });

  it('rewrites data and the indexed column, keeps write-offs and versions, and is idempotent', async () => {
    // The repository writes whatever it is given: how rows looked before the rule.
    await records.insert(ENTITIES.receivable, legacy('r1', '100.00', '0', 'overdue'));
    await records.insert(ENTITIES.receivable, legacy('r2', '100.00', '40.00', 'overdue'));
    await records.insert(ENTITIES.receivable, legacy('r3', '100.00', '100.00', 'open'));
    await records.insert(ENTITIES.receivable, legacy('r4', '100.00', '0', 'written_off'));
    await records.insert(ENTITIES.receivable, legacy('r5', '100.00', '0', 'open'));
    await up(opened.db);
    await up(opened.db);
    const rows = (await opened.db.selectFrom('hub_receivables').select(['id', 'status', 'data', 'version']).orderBy('id').execute()) as { id: string; status: string; data: string; version: number }[];
    expect(rows.map((r) => [r.id, r.status, (JSON.parse(r.data) as { status: string }).status, r.version])).toEqual([
      ['r1', 'open', 'open', 3],
      ['r2', 'partially_paid', 'partially_paid', 3],
      ['r3', 'paid', 'paid', 3],
      ['r4', 'written_off', 'written_off', 3],
      ['r5', 'open', 'open', 3],
    ]);
    const page = await records.list(ENTITIES.receivable, { filters: { status: ['open', 'partially_paid'] }, sort: { field: 'id', desc: false }, limit: 10 });
    expect(page.items.map((r) => r.id)).toEqual(['r1', 'r2', 'r5']);
  });
});
