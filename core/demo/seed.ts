import type { AuthService } from '../auth/auth-service.js';
import { ENTITIES, type JsonObject, type JsonValue, type StoredRecord } from '../model/entities.js';
import type { RecordService } from '../records/service.js';
import type { Store } from '../store/store.js';
import * as W from './words.js';

/**
 * A realistic demo data set: a sales organisation (teams and one user per role), customers in
 * Germany, Austria, Switzerland and the US with contacts, a product catalogue with stock, a year of
 * orders up to today, the invoices for what was shipped and the payments received. Generated from a
 * seeded PRNG relative to "today" (the `today` option, by default today in UTC; the hub passes
 * today in its business time zone), so every run on a day yields the same data (only ids differ),
 * and the receivables age as they would: the recent ones not yet due, older unpaid ones overdue.
 */
export interface DemoSummary { teams: number; users: number; customers: number; contacts: number; products: number; inventory: number; orders: number; receivables: number; payments: number }

export const DEMO_PASSWORD = 'demo-password-2026';

const SEED = 20261101;
const DAY = 86_400_000;
const WAREHOUSES = ['MAIN', 'EAST'] as const;
const money = (cents: number): string => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
const toCents = (value: JsonValue | undefined): number => {
  const [whole = '0', frac = ''] = String(value).split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0').slice(0, 2));
};
const slug = (text: string): string =>
  text.toLowerCase().replace(/ä/g, 'ae').replace(/ö/g, 'oe').replace(/ü/g, 'ue').replace(/ß/g, 'ss')
    .normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');

/** mulberry32: a tiny, fast, seeded PRNG. */
class Rng {
  constructor(private state: number) {}
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    const value = list[Math.floor(this.next() * list.length)];
    if (value === undefined) throw new Error('pick from an empty list');
    return value;
  }
  weighted<T>(options: readonly (readonly [T, number])[]): T {
    let r = this.next() * options.reduce((sum, [, w]) => sum + w, 0);
    for (const [value, w] of options) if ((r -= w) < 0) return value;
    return this.pick(options)[0];
  }
  digits(n: number): string {
    let s = String(this.int(1, 9));
    while (s.length < n) s += String(this.int(0, 9));
    return s;
  }
}

function phone(rng: Rng, country: W.Country, area: string): string {
  switch (country) {
    case 'DE': return `+49 ${area} ${rng.digits(10 - area.length)}`;
    case 'AT': return `+43 ${area} ${rng.digits(6)}`;
    case 'CH': return `+41 ${area} ${rng.digits(3)} ${rng.digits(2)} ${rng.digits(2)}`;
    case 'US': return `+1 ${area} 555 01${String(rng.int(0, 99)).padStart(2, '0')}`;
  }
}

function mobile(rng: Rng, country: W.Country, area: string): string {
  switch (country) {
    case 'DE': return `+49 1${rng.pick(['51', '52', '60', '70', '71', '76'])} ${rng.digits(7)}`;
    case 'AT': return `+43 6${rng.pick(['64', '60', '76', '99'])} ${rng.digits(7)}`;
    case 'CH': return `+41 7${rng.pick(['6', '7', '8', '9'])} ${rng.digits(3)} ${rng.digits(2)} ${rng.digits(2)}`;
    case 'US': return phone(rng, country, area);
  }
}

function taxId(rng: Rng, country: W.Country): string {
  switch (country) {
    case 'DE': return `DE${rng.digits(9)}`;
    case 'AT': return `ATU${rng.digits(8)}`;
    case 'CH': return `CHE-${rng.digits(3)}.${rng.digits(3)}.${rng.digits(3)} MWST`;
    case 'US': return `${rng.digits(2)}-${rng.digits(7)}`;
  }
}

function address(rng: Rng, country: W.Country, city: W.City): JsonObject {
  const [name, postal, span, step, region] = city;
  const street = rng.pick(W.STREETS[country]);
  const line1 = country === 'US' ? `${rng.int(100, 9999)} ${street}` : `${street} ${rng.int(1, 180)}`;
  const code = String(Number(postal) + step * rng.int(0, span)).padStart(postal.length, '0');
  const out: JsonObject = { line1, city: name, region, postalCode: code, country };
  if (country === 'US' && rng.chance(0.4)) out['line2'] = `Suite ${rng.int(1, 9) * 100}`;
  return out;
}

/** A company name (unique within `taken`), its domain and its industry. */
function company(rng: Rng, country: W.Country, city: string, taken: Set<string>): { name: string; domain: string; industry: string } {
  const us = country === 'US';
  for (let attempt = 0; ; attempt++) {
    const [industry, de, en] = rng.pick(W.INDUSTRIES);
    const noun = rng.pick(us ? en : de);
    const last = rng.pick(us ? W.LAST_NAMES_US : W.LAST_NAMES_DE);
    const other = rng.pick(us ? W.LAST_NAMES_US : W.LAST_NAMES_DE);
    let base = rng.weighted<string>([
      [`${last} ${noun}`, 4],
      [`${last} & ${other}`, last === other ? 0 : 1],
      [`${rng.pick(W.NAME_PREFIXES)}${rng.pick(W.NAME_SUFFIXES)} ${noun}`, 2],
      [`${rng.pick(W.REGION_ADJECTIVES[country])} ${noun}`, 2],
    ]);
    if (attempt >= 5) base = `${base} ${city}`;
    const name = `${base} ${rng.pick(W.LEGAL_FORMS[country])}`;
    if (taken.has(base) && attempt < 12) continue;
    taken.add(base);
    return { name, domain: `${slug(base)}.${W.TLD[country]}`, industry };
  }
}

/** Status of an order placed `age` days ago. */
function orderStatus(rng: Rng, age: number): string {
  if (rng.chance(0.05)) return 'cancelled';
  if (age < 14) return rng.weighted([['draft', 1], ['confirmed', 1]]);
  if (age < 45) return rng.weighted([['confirmed', 1], ['shipped', 2]]);
  return rng.weighted([['invoiced', 80], ['shipped', 20]]);
}

/** Loads a realistic demo data set unless the store already holds customers; returns what it created (all zeros when skipped). */
export async function seedDemo(store: Store, records: RecordService, auth: AuthService, options?: { scale?: number; today?: string }): Promise<DemoSummary> {
  const summary: DemoSummary = { teams: 0, users: 0, customers: 0, contacts: 0, products: 0, inventory: 0, orders: 0, receivables: 0, payments: 0 };
  if ((await store.records.count(ENTITIES.customer)) > 0) return summary;
  const today = options?.today ?? new Date().toISOString().slice(0, 10);
  const BASE = Date.parse(`${today}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today) || Number.isNaN(BASE)) throw new RangeError('today must be a date YYYY-MM-DD');
  /** Date `offset` days from today, as YYYY-MM-DD. */
  const day = (offset: number): string => new Date(BASE + offset * DAY).toISOString().slice(0, 10);
  const scale = options?.scale ?? 1;
  const count = (n: number, min: number): number => Math.max(min, Math.round(n * scale));
  const rng = new Rng(SEED);

  await store.transaction(async (tx) => {
    // Teams and users.
    const teamIds = new Map<string, string>();
    for (const [name, parent] of W.TEAMS) {
      const input: JsonObject = { name };
      if (parent) input['parentTeamId'] = teamIds.get(parent) ?? null;
      teamIds.set(name, (await records.create('team', input, tx)).record.id);
      summary.teams++;
    }
    const users = await Promise.all(
      W.USERS.map(async ([username, displayName, role, team]) => {
        const [first = '', last = ''] = displayName.split(' ');
        const input: JsonObject = { username, displayName, email: `${slug(first)}.${slug(last)}@demo-hub.example`, roles: [role], active: true, password: DEMO_PASSWORD };
        if (team) input['teamId'] = teamIds.get(team) ?? null;
        return [username, (await auth.createUser(input, tx)).record] as const;
      }),
    );
    summary.users = users.length;
    const userByName = new Map(users);
    const rep = (name: string): { ownerId: string; teamId: string } => {
      const user = userByName.get(name);
      if (!user || typeof user['teamId'] !== 'string') throw new Error(`demo user ${name} is missing`);
      return { ownerId: user.id, teamId: user['teamId'] };
    };

    // Customers and their contacts.
    type Customer = { record: StoredRecord; weight: number; country: W.Country; keyAccount: boolean };
    const customers: Customer[] = [];
    const names = new Set<string>();
    const customerCount = count(300, 8);
    for (let i = 0; i < customerCount; i++) {
      const country = rng.weighted<W.Country>([['DE', 70], ['AT', 20], ['CH', 5], ['US', 5]]);
      const city = rng.pick(W.CITIES[country]);
      const owner = i < W.REP_WEIGHTS.length ? (W.REP_WEIGHTS[i]?.[0] ?? 'rep.anna') : rng.weighted(W.REP_WEIGHTS);
      const keyAccount = owner === 'rep.clara';
      const { name, domain, industry } = company(rng, country, city[0], names);
      const input: JsonObject = {
        code: `C-${String(i + 1).padStart(5, '0')}`,
        name,
        kind: 'company',
        taxId: taxId(rng, country),
        phone: phone(rng, country, city[5]),
        email: `${rng.pick(country === 'US' ? ['info', 'sales', 'orders'] : ['info', 'office', 'kontakt', 'einkauf'])}@${domain}`,
        website: `https://www.${domain}`,
        billingAddress: address(rng, country, city),
        industry,
        ...rep(owner),
        creditLimit: money(100 * rng.pick(keyAccount ? [100_000, 250_000, 500_000] : [5_000, 10_000, 25_000, 50_000, 100_000])),
        paymentTerms: rng.weighted([['NET30', 7], ['NET14', 3]]),
        currency: W.CURRENCY[country],
        status: i >= W.REP_WEIGHTS.length && rng.chance(0.05) ? 'inactive' : 'active',
      };
      if (rng.chance(0.2)) input['shippingAddress'] = address(rng, country, city);
      const record = (await records.create('customer', input, tx)).record;
      summary.customers++;
      const weight = input['status'] === 'inactive' ? 0 : (keyAccount ? 4 : 0.3 + rng.next() * 1.7);
      customers.push({ record, weight, country, keyAccount });
      const contacts = rng.chance(0.15) ? 2 : 1;
      for (let c = 0; c < contacts; c++) {
        const us = country === 'US';
        const firstName = rng.pick(us ? W.FIRST_NAMES_US : W.FIRST_NAMES_DE);
        const lastName = rng.pick(us ? W.LAST_NAMES_US : W.LAST_NAMES_DE);
        await records.create('contact', {
          customerId: record.id,
          firstName,
          lastName,
          title: rng.pick(W.CONTACT_TITLES),
          phone: `${String(input['phone'])}-${rng.int(10, 299)}`,
          mobile: mobile(rng, country, city[5]),
          email: `${slug(firstName)}.${slug(lastName)}@${domain}`,
          ...rep(owner),
        }, tx);
        summary.contacts++;
      }
    }

    // Products (families interleaved, so a small scale still spans the catalogue) and stock.
    type Product = { record: StoredRecord; family: W.Family; price: number };
    const products: Product[] = [];
    const catalogue: [W.Family, number][] = [];
    for (let v = 0; v < 4; v++) for (const family of W.PRODUCT_FAMILIES) if (v < family[1].length) catalogue.push([family, v]);
    const productCount = Math.min(catalogue.length, count(80, 6));
    for (const [i, [family, v]] of catalogue.slice(0, productCount).entries()) {
      const [fname, variants, uom, min, max, , maxQty] = family;
      const share = variants.length > 1 ? v / (variants.length - 1) : 0;
      const raw = (min + (max - min) * share) * (0.9 + rng.next() * 0.2);
      const price = raw >= 100 ? Math.round(raw) * 100 - 10 : Math.round(raw * 100);
      const cost = Math.round(price * (0.45 + rng.next() * 0.3));
      const record = (await records.create('product', {
        sku: `SKU-${1001 + i}`,
        name: `${fname} ${variants[v] ?? ''}`.trim(),
        description: `${fname}, ${variants[v] ?? 'standard'}; sold per ${uom}.`,
        uom,
        listPrice: money(price),
        cost: money(cost),
        currency: 'EUR',
        active: i < 4 || !rng.chance(0.04),
      }, tx)).record;
      summary.products++;
      products.push({ record, family, price });
      for (const warehouse of WAREHOUSES) {
        const onHand = uom === 'H' ? 0 : rng.int(0, maxQty * (warehouse === 'MAIN' ? 30 : 12));
        const reserved = uom === 'H' ? 0 : rng.chance(0.03) ? onHand + rng.int(1, maxQty) : rng.int(0, Math.floor(onHand * 0.3));
        await records.create('inventory', { productId: record.id, warehouse, onHand: String(onHand), reserved: String(reserved) }, tx);
        summary.inventory++;
      }
    }
    const sellable = products.filter((p) => p.record['active'] !== false);

    // Orders over the last year, oldest first; the invoices for what shipped, and their payments.
    const orderCount = count(400, 12);
    const ages = Array.from({ length: orderCount }, () => {
      const age = rng.int(1, 363);
      const weekday = new Date(BASE - age * DAY).getUTCDay();
      return weekday === 0 ? age + 2 : weekday === 6 ? age + 1 : age; // orders come in on weekdays
    }).sort((a, b) => b - a);
    const weights = customers.map((c) => [c, c.weight] as const);
    let invoiceNo = 0;
    for (const [i, age] of ages.entries()) {
      const customer = rng.weighted(weights);
      const c = customer.record;
      const type = rng.weighted([['standard', 70], ['repeat', 15], ['special', 10], ['sample', 5]]);
      const status = i < 3 ? 'invoiced' : orderStatus(rng, age);
      const done = status === 'shipped' || status === 'invoiced';
      const lead = done ? Math.max(1, Math.min(rng.int(2, 21), age - 1)) : rng.int(3, 28);
      const lineCount = Math.min(sellable.length, rng.weighted([[1, 30], [2, 25], [3, 18], [4, 12], [5, 8], [6, 7]]));
      const chosen = new Set<Product>();
      while (chosen.size < lineCount) chosen.add(rng.pick(sellable));
      const lines = [...chosen].map((p) => {
        const [, , uom, , , reducedTax, maxQty] = p.family;
        const qty = type === 'sample' ? 1 : rng.int(1, maxQty);
        const discount = type === 'sample' ? '0' : rng.weighted([['0', 70], ['5', customer.keyAccount ? 40 : 20], ['10', customer.keyAccount ? 25 : 10]]);
        return {
          productId: p.record.id,
          description: String(p.record['name']),
          quantity: (uom === 'M' || uom === 'KG') && rng.chance(0.3) ? `${qty}.5` : String(qty),
          unitPrice: money(p.price),
          discount,
          taxRate: reducedTax ? '7' : '19',
        };
      });
      const order = (await records.create('order', {
        number: `SO-${String(i + 1).padStart(6, '0')}`,
        customerId: c.id,
        ownerId: c['ownerId'] ?? null,
        teamId: c['teamId'] ?? null,
        type,
        status,
        orderDate: day(-age),
        deliveryDate: day(-age + lead),
        currency: String(c['currency']),
        paymentTerms: c['paymentTerms'] ?? null,
        lines,
      }, tx)).record;
      summary.orders++;
      // Invoiced orders have an invoice; of the shipped ones, some are invoiced already.
      if (!(status === 'invoiced' || (status === 'shipped' && rng.chance(0.4)))) continue;

      const issue = -age + lead;
      const due = issue + (c['paymentTerms'] === 'NET14' ? 14 : 30);
      const amount = toCents(order['total']);
      invoiceNo++;
      // What the customer did: paid, paid part, or nothing yet (past due: overdue, which the hub
      // shows as of the day it is asked; the status stored is the payment state it derives).
      let outcome = invoiceNo <= 2 ? 'paid' : due < -30
        ? rng.weighted([['paid', 85], ['partially_paid', 5], ['unpaid', 10]])
        : due < 0 ? rng.weighted([['paid', 55], ['partially_paid', 10], ['unpaid', 35]]) : rng.weighted([['paid', 15], ['partially_paid', 10], ['unpaid', 75]]);
      if (outcome === 'partially_paid' && amount < 2) outcome = 'unpaid';
      const paid = outcome === 'paid' ? amount : outcome === 'partially_paid' ? Math.min(amount - 1, Math.max(1, Math.round(amount * (0.2 + rng.next() * 0.6)))) : 0;
      // Finance writes off some of what has been owed for more than half a year.
      const writtenOff = outcome === 'unpaid' && due < -180 && invoiceNo % 3 === 0;
      const receivable = (await records.create('receivable', {
        number: `INV-${day(issue).slice(0, 4)}-${String(invoiceNo).padStart(5, '0')}`,
        customerId: c.id,
        orderId: order.id,
        ownerId: c['ownerId'] ?? null,
        teamId: c['teamId'] ?? null,
        issueDate: day(issue),
        dueDate: day(due),
        currency: String(c['currency']),
        amount: money(amount),
        paidAmount: money(paid),
        ...(writtenOff ? { status: 'written_off' } : {}),
      }, tx)).record;
      summary.receivables++;
      if (paid === 0) continue;

      const parts = outcome === 'paid' && paid >= 200 && rng.chance(0.15) ? [Math.round(paid / 2), paid - Math.round(paid / 2)] : [paid];
      let payDay = issue;
      for (const part of parts) {
        payDay = Math.min(-1, Math.max(payDay + 1, rng.int(issue + 3, due + 10)));
        const method = rng.weighted(customer.country === 'US'
          ? [['bank_transfer', 45], ['check', 40], ['card', 15]]
          : [['bank_transfer', 70], ['direct_debit', 20], ['card', 6], ['cash', 2], ['other', 2]]);
        const reference = method === 'check' ? `Check #${rng.digits(6)}` : method === 'card' ? `Card ****${rng.digits(4)}`
          : method === 'direct_debit' ? `SEPA DD ${String(c['code'])}-${rng.digits(6)}` : method === 'cash' ? `Cash receipt ${rng.digits(5)}`
            : `${String(receivable['number'])} / ${rng.pick(W.BANK_PREFIXES)} ${rng.digits(10)}`;
        await records.create('payment', {
          customerId: c.id,
          receivableId: receivable.id,
          ownerId: receivable['ownerId'] ?? null,
          teamId: receivable['teamId'] ?? null,
          date: day(Math.max(payDay, issue)),
          amount: money(part),
          currency: String(receivable['currency']),
          method,
          reference,
        }, tx);
        summary.payments++;
      }
    }
  });
  return summary;
}
