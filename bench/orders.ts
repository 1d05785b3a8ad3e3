import type { JsonObject } from '../core/model/entities.js';

/** Bench data shared by the benchmarks: deterministic EUR orders whose totals add up as the hub computes them. */

export const cents = (s: string): number => {
  const [i = '0', f = ''] = s.split('.');
  return Number(i) * 100 + Number(f.padEnd(2, '0').slice(0, 2));
};
export const money = (c: number): string => `${Math.trunc(c / 100)}.${String(c % 100).padStart(2, '0')}`;

/** Hub id of bench customer `c` (orders use 17 customers) and of bench product `p` (500 products). */
export const benchCustomerId = (c: number): string => `cus_${String(1_000 + c).padStart(6, '0')}`;
export const benchProductId = (p: number): string => `prd_${String(p).padStart(6, '0')}`;
export const benchSku = (p: number): string => `SKU-${10_000 + p}`;

export interface BenchOrderOptions {
  readonly lines?: number;
  readonly ownerId?: string;
  /** Customer id and skus that occur in no other order (every hash misses a cache). */
  readonly unique?: boolean;
}

/** Order `n`: `lines` lines (default 10) with discounts (5 %, 12.5 %) and tax (7 %, 19 %). */
export function makeBenchOrder(n: number, options: BenchOrderOptions = {}): JsonObject {
  const count = options.lines ?? 10;
  const unique = options.unique ?? false;
  const lines: JsonObject[] = [];
  let subtotal = 0;
  let tax = 0;
  for (let l = 0; l < count; l++) {
    const p = (n * 7 + l * 13) % 500;
    const quantity = l % 3 === 0 ? `${(l + 1) * 2}.5` : String(l + 1 + (n % 5));
    const unitPrice = money(499 + p * 37);
    const discount = l % 4 === 0 ? '5' : l % 4 === 1 ? '12.5' : '0';
    const taxRate = l % 5 === 0 ? '7' : '19';
    const lineTotal = Math.round((cents(unitPrice) * Number(quantity) * (100 - Number(discount))) / 100);
    subtotal += lineTotal;
    tax += Math.round((lineTotal * Number(taxRate)) / 100);
    lines.push({
      productId: benchProductId(p),
      sku: unique ? `SKU-U${n}-${l}` : benchSku(p),
      description: l % 6 === 5 ? null : `Stainless hex bolt M${6 + (p % 10)} × ${20 + (p % 8) * 5} mm, DIN 933, box of ${50 * (1 + (p % 4))}`,
      quantity,
      unitPrice,
      discount,
      taxRate,
      lineTotal: money(lineTotal),
    });
  }
  const day = String(1 + (n % 28)).padStart(2, '0');
  const date = `2024-05-${day}`;
  return {
    id: `ord_${100_000 + n}`,
    version: 1 + (n % 4),
    createdAt: `${date}T08:${String(n % 60).padStart(2, '0')}:12.345Z`,
    updatedAt: `${date}T09:${String(n % 60).padStart(2, '0')}:47.012Z`,
    number: `SO-2024-${String(4_200 + n).padStart(6, '0')}`,
    customerId: unique ? `cus_u${n}` : benchCustomerId(n % 17),
    ownerId: options.ownerId ?? 'usr_rep_0001',
    teamId: 'team_north',
    type: n % 9 === 0 ? 'sample' : 'standard',
    countsTowardQuota: n % 9 !== 0,
    status: n % 3 === 0 ? 'shipped' : 'confirmed',
    orderDate: date,
    deliveryDate: n % 7 === 0 ? null : `2024-06-${day}`,
    currency: 'EUR',
    paymentTerms: n % 2 === 0 ? 'NET30' : '2/10 NET 30',
    lines,
    subtotal: money(subtotal),
    taxTotal: money(tax),
    total: money(subtotal + tax),
  };
}
