import type { ExternalRecord } from '../contract.js';

/**
 * What a customer paid with one incoming payment, summed by the connector: SAP keeps the means apart —
 * `CashSum`, `TransferSum`, each cheque's `PaymentChecks[].CheckSum`, each card's
 * `PaymentCreditCards[].CreditSum` and `BillOfExchangeAmount`, all in the payment's `DocCurrency` — and
 * a mapping cannot add up a list. The sum is written to `HubTotalReceived` (decimal text; a field SAP
 * does not have, so it cannot clash with one), exactly: each JSON number is read through its shortest
 * digits and added as a scaled integer, never as a binary float (`0.1 + 0.2` is `0.3`).
 */
export const TOTAL_FIELD = 'HubTotalReceived';

/** A JSON number (or numeric text) as [digits, scale]: 12.5 → [125n, 1]. Undefined when it is no number. */
function scaled(value: unknown): [bigint, number] | undefined {
  if (value === null || value === undefined) return [0n, 0];
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined) return undefined;
  // String(1e-7) is "1e-7": expand the exponent form JSON numbers can take.
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!m) return undefined;
  let digits = `${m[2]}${m[3] ?? ''}`;
  let scale = (m[3] ?? '').length - Number(m[4] ?? 0);
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  return [BigInt(`${m[1]}${digits}`), scale];
}

function format(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return `${negative ? '-' : ''}${whole}`;
}

/** The exact decimal sum of the values; undefined when one of them is not a number. */
export function decimalSum(values: readonly unknown[]): string | undefined {
  const parts = values.map(scaled);
  if (parts.some((p) => p === undefined)) return undefined;
  const scale = Math.max(0, ...parts.map((p) => p![1]));
  const total = parts.reduce((sum, p) => sum + p![0] * 10n ** BigInt(scale - p![1]), 0n);
  return format(total, scale);
}

function column(rows: unknown, field: string): unknown[] {
  return Array.isArray(rows) ? rows.map((r) => (typeof r === 'object' && r !== null ? (r as Record<string, unknown>)[field] : undefined)) : [];
}

/** The payment with `HubTotalReceived` added (left out when a sum is not a number: the mapping then refuses the record). */
export function withTotal(payment: ExternalRecord): ExternalRecord {
  const total = decimalSum([payment['CashSum'], payment['TransferSum'], payment['BillOfExchangeAmount'], ...column(payment['PaymentChecks'], 'CheckSum'), ...column(payment['PaymentCreditCards'], 'CreditSum')]);
  return total === undefined ? payment : { ...payment, [TOTAL_FIELD]: total };
}
