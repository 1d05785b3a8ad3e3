import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers.js';
import { expectDocumented } from '../contract/spec-support.js';
import { csvRecords } from '../fixtures/csv.js';
import { agingLine, buildWorld, reportConfig, salesLine, type World } from './reports-fixture.js';

const AGING = '/api/v1/reports/receivables-aging';
const SALES = '/api/v1/reports/sales-performance';
const JUNE = { from: '2026-06-01', to: '2026-06-30' };

type Group = { key: string | null; label: string | null; parentKey?: string | null; currencies: never[] };

describe('reports over the API, under each caller\'s row scope and field policy', () => {
  let t: TestHub;
  let w: World;

  beforeAll(async () => {
    t = await startTestHub({ config: reportConfig() });
    w = await buildWorld(t);
  });
  afterAll(async () => t?.close());

  const aging = async (who: keyof World['tokens'], query: Record<string, string>) => {
    const res = await t.api.get(AGING).query({ asOf: '2026-06-30', ...query }).set(w.tokens[who]);
    expectDocumented(res, 'getReceivablesAging', 200);
    return res.body as { groups: Group[]; total: never[]; asOf: string; timeZone: string };
  };
  const lines = (groups: Group[], f: (c: never) => string) => Object.fromEntries(groups.map((g) => [g.key ?? 'none', { label: g.label, lines: g.currencies.map(f) }]));

  describe('receivables aging', () => {
    it('the director sees every customer, bucketed by days past due, per currency, totals never adding currencies', async () => {
      const body = await aging('director', { groupBy: 'customer' });
      expect(body).toMatchObject({ asOf: '2026-06-30', timeZone: 'Europe/Berlin', groupBy: 'customer', currency: null });
      expect(lines(body.groups, agingLine)).toEqual({
        [w.customers.c1]: { label: 'C-1 Müller, Maschinenbau "Nord" GmbH', lines: ['EUR 3: 100.00 160.00 0.00 0.00 0.00 = 260.00'] },
        [w.customers.c2]: { label: 'C-2 Becker Key AG', lines: ['EUR 1: 0.00 0.00 1000.00 0.00 0.00 = 1000.00'] },
        [w.customers.c3]: { label: 'C-3 Huber Süd KG', lines: ['EUR 3: 65.00 0.00 0.00 0.00 500.00 = 565.00'] },
        [w.customers.c4]: { label: 'C-4 Zürich Franken AG', lines: ['CHF 1: 0.00 0.00 0.00 80.00 0.00 = 80.00'] },
      });
      expect(body.total.map(agingLine)).toEqual(['CHF 1: 0.00 0.00 0.00 80.00 0.00 = 80.00', 'EUR 7: 165.00 160.00 1000.00 0.00 500.00 = 1825.00']);
    });

    it('a team lead sees the subtree (North and Key Accounts), a rep their own; a customer they cannot see has no label', async () => {
      const lead = await aging('lead', {});
      expect(lead.total.map(agingLine)).toEqual(['CHF 1: 0.00 0.00 0.00 80.00 0.00 = 80.00', 'EUR 5: 105.00 160.00 1000.00 0.00 0.00 = 1265.00']);
      expect(lines(lead.groups, agingLine)[w.customers.c3]).toEqual({ label: null, lines: ['EUR 1: 5.00 0.00 0.00 0.00 0.00 = 5.00'] });
      const anna = await aging('anna', {});
      expect(lines(anna.groups, agingLine)).toEqual({
        [w.customers.c1]: { label: 'C-1 Müller, Maschinenbau "Nord" GmbH', lines: ['EUR 3: 100.00 160.00 0.00 0.00 0.00 = 260.00'] },
        [w.customers.c3]: { label: null, lines: ['EUR 1: 5.00 0.00 0.00 0.00 0.00 = 5.00'] },
        [w.customers.c4]: { label: 'C-4 Zürich Franken AG', lines: ['CHF 1: 0.00 0.00 0.00 80.00 0.00 = 80.00'] },
      });
      const dave = await aging('dave', {});
      expect(dave.total.map(agingLine)).toEqual(['EUR 2: 60.00 0.00 0.00 0.00 500.00 = 560.00']);
    });

    it('groups by owner (display names) and by team; the AR clerk sees all, as the director does', async () => {
      const byOwner = await aging('director', { groupBy: 'owner' });
      expect(lines(byOwner.groups, agingLine)).toEqual({
        [w.users.anna]: { label: 'Anna Keller', lines: ['CHF 1: 0.00 0.00 0.00 80.00 0.00 = 80.00', 'EUR 4: 105.00 160.00 0.00 0.00 0.00 = 265.00'] },
        [w.users.clara]: { label: 'Clara Becker', lines: ['EUR 1: 0.00 0.00 1000.00 0.00 0.00 = 1000.00'] },
        [w.users.dave]: { label: 'Dave Miller', lines: ['EUR 2: 60.00 0.00 0.00 0.00 500.00 = 560.00'] },
      });
      const byTeam = await aging('clerk', { groupBy: 'team' });
      expect(Object.fromEntries(byTeam.groups.map((g) => [g.label, g.currencies.map(agingLine)]))).toEqual({
        North: ['CHF 1: 0.00 0.00 0.00 80.00 0.00 = 80.00', 'EUR 4: 105.00 160.00 0.00 0.00 0.00 = 265.00'],
        '=Key Accounts': ['EUR 1: 0.00 0.00 1000.00 0.00 0.00 = 1000.00'],
        South: ['EUR 2: 60.00 0.00 0.00 0.00 500.00 = 560.00'],
      });
      expect(byTeam.total).toEqual((await aging('director', { groupBy: 'team' })).total);
    });

    it('`currency` keeps one currency; another as-of date moves the buckets', async () => {
      const chf = await aging('director', { currency: 'CHF' });
      expect(chf.groups.map((g) => g.key)).toEqual([w.customers.c4]);
      expect(chf.total.map(agingLine)).toEqual(['CHF 1: 0.00 0.00 0.00 80.00 0.00 = 80.00']);
      // On 2026-01-31 nothing was past due but R7 (written off) and R6 (due that day): all current.
      const early = await aging('dave', { asOf: '2026-01-31' });
      expect(early.total.map(agingLine)).toEqual(['EUR 2: 560.00 0.00 0.00 0.00 0.00 = 560.00']);
    });

    it('CSV: the same figures, RFC 4180, one row per group and currency then the totals; text cells guarded', async () => {
      const json = await aging('director', { groupBy: 'team' });
      const res = await t.api.get(AGING).query({ asOf: '2026-06-30', groupBy: 'team' }).set(w.tokens.director).set('Accept', 'text/csv');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
      expect(res.headers['vary']).toMatch(/Accept/);
      expect(res.headers['content-disposition']).toBe('attachment; filename="receivables-aging-2026-06-30.csv"');
      const rows = csvRecords(res.text);
      expect(Object.keys(rows[0] ?? {})).toEqual(['as_of', 'level', 'key', 'label', 'currency', 'count', 'current', 'days_1_30', 'days_31_60', 'days_61_90', 'days_over_90', 'total']);
      const fromJson = [
        ...json.groups.flatMap((g) => g.currencies.map((c) => ({ level: 'group', key: g.key ?? '', label: g.label ?? '', c }))),
        ...json.total.map((c) => ({ level: 'total', key: '', label: '', c })),
      ].map(({ level, key, label, c }) => {
        const f = c as { currency: string; count: number; buckets: Record<string, string>; total: string };
        return { as_of: '2026-06-30', level, key, label: label.startsWith('=') ? `'${label}` : label, currency: f.currency, count: String(f.count), current: f.buckets['current'], days_1_30: f.buckets['d1_30'], days_31_60: f.buckets['d31_60'], days_61_90: f.buckets['d61_90'], days_over_90: f.buckets['over_90'], total: f.total };
      });
      expect(rows).toEqual(fromJson);
      expect(rows.find((r) => r['key'] === w.teams.keys)?.['label']).toBe("'=Key Accounts");
    });
  });

  describe('sales performance', () => {
    const sales = async (who: keyof World['tokens'], query: Record<string, string>) => {
      const res = await t.api.get(SALES).query({ ...JUNE, ...query }).set(w.tokens[who]);
      expectDocumented(res, 'getSalesPerformance', 200);
      return res.body as { groups: Group[]; total: never[]; from: string; to: string; quotaTypes: string[] };
    };

    it('per owner: quota types beside the others, per currency; cancelled and out-of-period orders left out', async () => {
      const body = await sales('director', { groupBy: 'owner' });
      expect(body).toMatchObject({ ...JUNE, groupBy: 'owner', timeZone: 'Europe/Berlin', quotaTypes: ['standard', 'repeat'] });
      expect(lines(body.groups, salesLine)).toEqual({
        [w.users.anna]: { label: 'Anna Keller', lines: ['CHF quota 1/50.00 other 0/0.00', 'EUR quota 1/100.00 other 1/10.00'] },
        [w.users.clara]: { label: 'Clara Becker', lines: ['EUR quota 1/1000.00 other 0/0.00'] },
        [w.users.dave]: { label: 'Dave Miller', lines: ['EUR quota 0/0.00 other 1/300.00'] },
      });
      expect(body.total.map(salesLine)).toEqual(['CHF quota 1/50.00 other 0/0.00', 'EUR quota 2/1100.00 other 2/310.00']);
    });

    it('per team, each team\'s subtree rolled up: the director sees Sales over all, a lead North over Key Accounts, a rep their own line', async () => {
      const tree = (groups: Group[]) => groups.map((g) => [g.label, g.parentKey === null || g.parentKey === undefined ? null : groups.find((p) => p.key === g.parentKey)?.label, g.currencies.map(salesLine)]);
      const director = await sales('director', { groupBy: 'team' });
      expect(tree(director.groups).sort()).toEqual([
        ['=Key Accounts', 'North', ['EUR quota 1/1000.00 other 0/0.00']],
        ['North', 'Sales', ['CHF quota 1/50.00 other 0/0.00', 'EUR quota 2/1100.00 other 1/10.00']],
        ['Sales', null, ['CHF quota 1/50.00 other 0/0.00', 'EUR quota 2/1100.00 other 2/310.00']],
        ['South', 'Sales', ['EUR quota 0/0.00 other 1/300.00']],
      ]);
      // Each team after its parent.
      const order = director.groups.map((g) => g.key);
      for (const g of director.groups) if (g.parentKey) expect(order.indexOf(g.parentKey)).toBeLessThan(order.indexOf(g.key));
      expect(director.total.map(salesLine)).toEqual(['CHF quota 1/50.00 other 0/0.00', 'EUR quota 2/1100.00 other 2/310.00']);

      const lead = await sales('lead', { groupBy: 'team' });
      expect(tree(lead.groups)).toEqual([
        ['North', null, ['CHF quota 1/50.00 other 0/0.00', 'EUR quota 2/1100.00 other 1/10.00']],
        ['=Key Accounts', 'North', ['EUR quota 1/1000.00 other 0/0.00']],
      ]);
      const anna = await sales('anna', { groupBy: 'team' });
      expect(tree(anna.groups)).toEqual([['North', null, ['CHF quota 1/50.00 other 0/0.00', 'EUR quota 1/100.00 other 1/10.00']]]);
      expect((await sales('dave', {})).total.map(salesLine)).toEqual(['EUR quota 0/0.00 other 1/300.00']);
    });

    it('the period defaults to the month of `to`, or of `from`; July holds only O7', async () => {
      const july = await sales('director', { from: '2026-07-01', to: '2026-07-31' });
      expect(july.total.map(salesLine)).toEqual(['EUR quota 1/200.00 other 0/0.00']);
      const res = await t.api.get(SALES).query({ to: '2026-06-30' }).set(w.tokens.director);
      expect(res.body).toMatchObject(JUNE);
      const res2 = await t.api.get(SALES).query({ from: '2026-02-01' }).set(w.tokens.director);
      expect(res2.body).toMatchObject({ from: '2026-02-01', to: '2026-02-28' });
    });

    it('CSV: the same figures with parent keys', async () => {
      const json = await sales('lead', { groupBy: 'team' });
      const res = await t.api.get(SALES).query({ ...JUNE, groupBy: 'team' }).set(w.tokens.lead).set('Accept', 'text/csv;q=0.9, application/json;q=0.1');
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const rows = csvRecords(res.text);
      expect(rows.map((r) => [r['level'], r['label'], r['parent_key'], r['currency'], r['quota_count'], r['quota_total'], r['other_count'], r['other_total']])).toEqual([
        ['group', 'North', '', 'CHF', '1', '50.00', '0', '0.00'],
        ['group', 'North', '', 'EUR', '2', '1100.00', '1', '10.00'],
        ['group', "'=Key Accounts", w.teams.north, 'EUR', '1', '1000.00', '0', '0.00'],
        ['total', '', '', 'CHF', '1', '50.00', '0', '0.00'],
        ['total', '', '', 'EUR', '2', '1100.00', '1', '10.00'],
      ]);
      expect(rows.every((r) => r['from'] === '2026-06-01' && r['to'] === '2026-06-30')).toBe(true);
      expect(json.groups).toHaveLength(2);
    });
  });

  describe('refusals: each a problem naming what is wrong', () => {
    it('the quality role reads orders but not their totals: 403 naming /total; no rule on receivables: 403', async () => {
      const res = await t.api.get(SALES).query(JUNE).set(w.tokens.inspector);
      expectDocumented(res, 'getSalesPerformance', 403);
      expect(res.body.errors).toEqual([{ pointer: '/total', detail: 'the report uses the order\'s total, which you may not see in plain form' }]);
      const aging = await t.api.get(AGING).set(w.tokens.inspector);
      expectDocumented(aging, 'getReceivablesAging', 403);
      expect(aging.body.detail).toBe('You may not read receivables');
      // Refused before the query is looked at: a bad parameter does not tell a refused caller anything.
      expectDocumented(await t.api.get(AGING).query({ groupBy: 'nonsense' }).set(w.tokens.staff), 'getReceivablesAging', 403);
      expectDocumented(await t.api.get(SALES).set(w.tokens.staff), 'getSalesPerformance', 403);
    });

    it('grouping by a field the caller may not see is 403 naming /query/groupBy; other groupings still answer', async () => {
      const res = await t.api.get(AGING).query({ groupBy: 'customer' }).set(w.tokens.collector);
      expectDocumented(res, 'getReceivablesAging', 403);
      expect(res.body.errors).toEqual([{ pointer: '/query/groupBy', detail: 'the report uses the receivable\'s customerId, which you may not see in plain form' }]);
      expect((await t.api.get(AGING).query({ groupBy: 'team' }).set(w.tokens.collector)).body.errors[0].pointer).toBe('/query/groupBy');
      const byOwner = await t.api.get(AGING).query({ groupBy: 'owner', asOf: '2026-06-30' }).set(w.tokens.collector);
      expectDocumented(byOwner, 'getReceivablesAging', 200);
      expect(byOwner.body.total.map(agingLine)).toEqual(['CHF 1: 0.00 0.00 0.00 80.00 0.00 = 80.00', 'EUR 7: 165.00 160.00 1000.00 0.00 500.00 = 1825.00']);
    });

    it('a field masked on one of the caller\'s rules is refused, even where another rule shows it: no sum over hidden values', async () => {
      const res = await t.api.get(AGING).query({ groupBy: 'owner' }).set(w.tokens.peeker);
      expectDocumented(res, 'getReceivablesAging', 403);
      expect(res.body.errors).toEqual([{ pointer: '/balance', detail: 'the report uses the receivable\'s balance, which you may not see in plain form' }]);
    });

    it('bad dates, groupings and currencies are 400 naming the parameter; an empty period is 422 naming `from`', async () => {
      const cases: [string, Record<string, string>, string, string][] = [
        [AGING, { asOf: '2026-02-30' }, 'getReceivablesAging', '/query/asOf'],
        [AGING, { asOf: '30.06.2026' }, 'getReceivablesAging', '/query/asOf'],
        [AGING, { groupBy: 'region' }, 'getReceivablesAging', '/query/groupBy'],
        [AGING, { currency: 'eur' }, 'getReceivablesAging', '/query/currency'],
        [SALES, { from: '2026-13-01' }, 'getSalesPerformance', '/query/from'],
        [SALES, { to: '2026-06-31' }, 'getSalesPerformance', '/query/to'],
        [SALES, { groupBy: 'customer' }, 'getSalesPerformance', '/query/groupBy'],
      ];
      for (const [path, query, op, pointer] of cases) {
        const res = await t.api.get(path).query(query).set(w.tokens.director);
        expectDocumented(res, op, 400);
        expect(res.body.errors.map((e: { pointer: string }) => e.pointer), JSON.stringify(query)).toEqual([pointer]);
      }
      const empty = await t.api.get(SALES).query({ from: '2026-06-02', to: '2026-06-01' }).set(w.tokens.director);
      expectDocumented(empty, 'getSalesPerformance', 422);
      expect(empty.body.errors).toEqual([{ pointer: '/query/from', detail: 'must not be after to' }]);
    });

    it('an Accept the report cannot answer in is 406 problem+json naming the header; */* and no Accept are JSON', async () => {
      for (const accept of ['application/xml', 'text/html', 'text/csv;q=0, application/json;q=0', 'application/problem+json']) {
        const res = await t.api.get(AGING).set(w.tokens.director).set('Accept', accept);
        expectDocumented(res, 'getReceivablesAging', 406);
        expect(res.body.errors).toEqual([{ pointer: '/header/Accept', detail: 'must accept application/json or text/csv' }]);
      }
      for (const accept of ['*/*', 'text/*;q=0.5, application/*', 'application/json', '']) {
        const res = await t.api.get(AGING).set(w.tokens.director).set('Accept', accept);
        expect(res.status, accept).toBe(200);
        expect(res.headers['content-type'], accept).toMatch(/^application\/json/);
      }
      expect((await t.api.get(AGING).set(w.tokens.director).set('Accept', 'text/*')).headers['content-type']).toMatch(/^text\/csv/);
    });
  });

  it('report calls are audited like lists: the records read and the fields used, never an amount', async () => {
    await aging('anna', { groupBy: 'owner' });
    const res = await t.api.get('/api/v1/audit').query({ action: 'report.receivables_aging', actor: 'anna' }).set({ Authorization: `Bearer ${t.adminToken}` });
    expect(res.status).toBe(200);
    const entry = res.body.items[0];
    expect(entry).toMatchObject({ actor: 'anna', entity: 'receivable', outcome: 'success', status: 200, fields: ['balance', 'currency', 'dueDate', 'ownerId', 'status'] });
    expect(entry.recordIds).toHaveLength(5);
    expect(JSON.stringify(res.body)).not.toMatch(/260\.00|265\.00|100\.00/);
    const denied = await t.api.get('/api/v1/audit').query({ action: 'report.sales_performance', actor: 'inspector' }).set({ Authorization: `Bearer ${t.adminToken}` });
    expect(denied.body.items[0]).toMatchObject({ outcome: 'denied', status: 403 });
  });
});
