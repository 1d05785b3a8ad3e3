import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const HUB_BIN = new URL('../../dist/hub/cli/hub.js', import.meta.url).pathname;

describe('`hub mapping`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-mapping-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, HUB_CONFIG: '', HUB_DATA_DIR: dir, HUB_DB: '' };

  it('lists the checked mappings', async () => {
    const { stdout } = await run(process.execPath, [HUB_BIN, 'mapping', 'list'], { env });
    expect(stdout).toContain('erpnext.order.out\tout\torder ⇄ erpnext Sales Order\ttarget:erpnext');
  });

  it('previews a sample record from a file, printing the payload and what the policy removed', async () => {
    const file = join(dir, 'customer.json');
    writeFileSync(file, JSON.stringify({ code: 'C-9', name: 'File AG', kind: 'company', currency: 'EUR', ownerId: 'u1', status: 'active', billingAddress: { line1: 'Weg 1', city: 'Wien', country: 'AT' } }));
    const { stdout, stderr } = await run(process.execPath, [HUB_BIN, 'mapping', 'preview', 'erpnext.customer.out', file], { env });
    expect(JSON.parse(stdout)).toEqual({ custom_hub_code: 'C-9', customer_name: 'File AG', customer_type: 'Company', customer_group: 'Commercial', territory: 'Austria', default_currency: 'EUR', disabled: 0 });
    expect(stderr).toContain('policy: ownerId removed by target:erpnext/customer');
    expect(stderr).toContain('policy: billingAddress.line1 removed by target:erpnext/customer');
  });

  it('says which mapping does not exist', async () => {
    const result = await run(process.execPath, [HUB_BIN, 'mapping', 'preview', 'nope', 'x'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect((result as { code: number }).code).toBe(2);
    expect((result as { stderr: string }).stderr).toContain('no mapping named nope');
  });

  it('prints its usage when the mapping or the record is missing, and refuses unknown options', async () => {
    for (const args of [['mapping', 'preview'], ['mapping', 'preview', 'erpnext.customer.out'], ['mapping', 'list', '--all'], ['mapping']]) {
      const result = await run(process.execPath, [HUB_BIN, ...args], { env }).catch((e: { code: number; stderr: string }) => e);
      expect((result as { code: number }).code, args.join(' ')).toBe(2);
      expect((result as { stderr: string }).stderr, args.join(' ')).toContain('usage: hub mapping list | hub mapping preview <mapping> <record-id|file.json>');
      expect((result as { stderr: string }).stderr).not.toContain('(none)');
    }
  });
});
