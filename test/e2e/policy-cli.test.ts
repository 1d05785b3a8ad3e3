import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const HUB_BIN = new URL('../../dist/hub/cli/hub.js', import.meta.url).pathname;
const DEFAULT_POLICY = new URL('../../core/policy/default-policy.yaml', import.meta.url).pathname;

describe('`hub policy check`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-policy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, HUB_CONFIG: '' };

  it('prints the decision for every receiver × entity × field of the default policy', async () => {
    const { stdout, stderr } = await run(process.execPath, [HUB_BIN, 'policy', 'check'], { env, maxBuffer: 32 * 1024 * 1024 });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('receiver\tentity\tfield\tdecision\trows');
    expect(lines).toContain('role:quality\torder\tlines.unitPrice\tdeny\trows=all');
    expect(lines).toContain('role:quality\torder\tdeliveryDate\tallow\trows=all');
    expect(lines).toContain('role:sales_rep\tproduct\tcost\tdeny\trows=all');
    expect(lines).toContain('role:purchasing\tproduct\tcost\tallow\trows=all');
    expect(lines).toContain('role:purchasing\torder\ttotal\tdeny\trows=none');
    expect(lines).toContain('role:ar_clerk\tcustomer\tphone\tmask:last4\trows=all');
    expect(lines).toContain('target:reporting_db\tcustomer\ttaxId\thash\trows=billingAddress.country in [DE, AT, CH]');
    expect(lines).toContain('target:finance\tcustomer\tphone\tdeny\trows=all');
    expect(stderr).toMatch(/is valid \(\d+ receivers\)/);
  });

  it('exits non-zero on a broken policy, naming the file, the rule and the reason', async () => {
    const broken = readFileSync(DEFAULT_POLICY, 'utf8').replace('mask: { phone: last4 }', 'mask: { phnoe: last4 }');
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, broken);
    const result = await run(process.execPath, [HUB_BIN, 'policy', 'check', '--file', file], { env }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect((result as { code: number }).code).toBe(1);
    expect((result as { stderr: string }).stderr).toContain(`${file}#/roles/ar_clerk/customer/read/mask/phnoe: customer has no field phnoe`);
    expect((result as { stdout: string }).stdout).toBe('');

    writeFileSync(file, 'version: 1\nroles: {admin: [not, a, map\n');
    const unparsable = await run(process.execPath, [HUB_BIN, 'policy', 'check', '--file', file], { env }).catch((e: { code: number; stderr: string }) => e);
    expect((unparsable as { code: number }).code).toBe(1);
    expect((unparsable as { stderr: string }).stderr).toContain('cannot be read');
  });

  it('prints one role\'s decisions with --role, and refuses an unknown role or option', async () => {
    const { stdout } = await run(process.execPath, [HUB_BIN, 'policy', 'check', '--role', 'quality'], { env, maxBuffer: 32 * 1024 * 1024 });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('receiver\tentity\tfield\tdecision\trows');
    expect(lines).toContain('role:quality\torder\tlines.unitPrice\tdeny\trows=all');
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.slice(1).every((l) => l.startsWith('role:quality\t'))).toBe(true);

    const unknown = await run(process.execPath, [HUB_BIN, 'policy', 'check', '--role', 'janitor'], { env }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect((unknown as { code: number }).code).toBe(2);
    expect((unknown as { stderr: string }).stderr).toMatch(/^hub: the policy has no role janitor; its roles: (?=.*\bquality\b)(?=.*\bsales_rep\b)/);
    expect((unknown as { stdout: string }).stdout).toBe('');

    const bogus = await run(process.execPath, [HUB_BIN, 'policy', 'check', '--rol', 'quality'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect((bogus as { code: number }).code).toBe(2);
    expect((bogus as { stderr: string }).stderr).toContain('unknown option --rol');
  });
});
