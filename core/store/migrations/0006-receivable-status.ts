import type { Kysely } from 'kysely';
import { Decimal } from 'decimal.js';

/**
 * A receivable's stored status becomes its payment state (open, partially_paid, paid; written_off
 * kept), computed from amount and paidAmount, as the record service now writes it; `overdue` is no
 * longer stored but shown as of a date. Rows written before hold whatever their writer said (the
 * demo data: `overdue`, or `open` months past due): each live one is brought to its payment state,
 * in `data` and in the indexed `status` column, so the status filters (which select on that
 * column) find them. The version is left as it is: the record's content is what it was, only its
 * derived status is recomputed (the rule is inlined here so that this migration never changes).
 */
function paymentState(data: Record<string, unknown>): string | undefined {
  const { amount, paidAmount, status } = data;
  if (status === 'written_off') return 'written_off';
  const decimal = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
  if (typeof amount !== 'string' || !decimal.test(amount)) return undefined;
  const paid = typeof paidAmount === 'string' && decimal.test(paidAmount) ? new Decimal(paidAmount) : new Decimal(0);
  const total = new Decimal(amount);
  const balance = total.minus(paid);
  if (balance.isZero()) return 'paid';
  if (total.isNegative()) return 'open';
  if (balance.isNegative()) return 'paid';
  return paid.isZero() ? 'open' : 'partially_paid';
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  let after = '';
  for (;;) {
    const rows = (await db.selectFrom('hub_receivables').select(['id', 'data', 'status']).where('deleted_at', 'is', null).where('id', '>', after).orderBy('id').limit(500).execute()) as { id: string; data: string; status: string }[];
    if (rows.length === 0) return;
    for (const row of rows) {
      const data = JSON.parse(row.data) as Record<string, unknown>;
      const state = paymentState(data);
      if (state === undefined || (state === data['status'] && state === row.status)) continue;
      await db.updateTable('hub_receivables').set({ data: JSON.stringify({ ...data, status: state }), status: state }).where('id', '=', row.id).execute();
    }
    after = rows[rows.length - 1]!.id;
  }
}
