import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Hub } from '../../hub/create-hub.js';

const run = promisify(execFile);

/** `openssl dgst -sha256 -verify <pem> -signature <sig> <file>`: its output and exit code. */
export async function opensslVerify(publicKeyFile: string, file: string, signature = `${file}.sig`): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('openssl', ['dgst', '-sha256', '-verify', publicKeyFile, '-signature', signature, file]);
    return { ok: true, output: (stdout + stderr).trim() };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() };
  }
}

/** Phone numbers the fixture customers have: none may appear in any feed file. */
export const FIXTURE_PHONES = ['+49 30 1234567', '+1 555 0100'];

/**
 * Two customers and six receivables: open ones in EUR and USD for the first customer (whose name a
 * spreadsheet would run as a formula), an overdue one in USD for the second (a name with a comma
 * and quotes), and a paid and a written-off one that a feed leaves out. Aged as of 2026-12-03.
 */
export async function seedReceivables(hub: Hub, prefix = ''): Promise<{ customers: string[] }> {
  const c1 = (await hub.records.create('customer', { code: `${prefix}C-1`, name: '=HYPERLINK("http://evil.example","x")', currency: 'EUR', phone: FIXTURE_PHONES[0]!, email: 'ap@one.example' })).record;
  const c2 = (await hub.records.create('customer', { code: `${prefix}C-2`, name: 'Müller, "Söhne" GmbH', currency: 'USD', phone: FIXTURE_PHONES[1]! })).record;
  const r = (customer: string, number: string, currency: string, amount: string, paidAmount: string, dueDate: string, status: string) =>
    hub.records.create('receivable', { number: `${prefix}${number}`, customerId: customer, issueDate: '2026-01-01', dueDate, currency, amount, paidAmount, status });
  await r(c1.id, 'INV-1', 'EUR', '100.00', '0.00', '2026-11-03', 'overdue'); // 30 days: d1_30
  await r(c1.id, 'INV-2', 'EUR', '50.00', '20.00', '2026-12-10', 'partially_paid'); // not yet due: current, 30.00 left
  await r(c1.id, 'INV-3', 'USD', '200.00', '0.00', '2027-01-01', 'open'); // current
  await r(c2.id, 'INV-4', 'USD', '1000.00', '0.00', '2026-06-01', 'overdue'); // 185 days: over_90
  await r(c2.id, 'INV-5', 'USD', '10.00', '10.00', '2026-01-01', 'paid');
  await r(c2.id, 'INV-6', 'USD', '70.00', '0.00', '2026-01-01', 'written_off');
  return { customers: [c1.id, c2.id] };
}
