import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { ApiWriters } from './load.js';
import { HUB_CODE_FIELD, type TargetFake } from './target.js';

/**
 * Record-by-record comparison of the source, the hub and the target after a scenario converged.
 *
 * Expected: every source row (code = customer_no, name = the row's latest name, currency), with the
 * phone the API writers left (any write not certainly overtaken by a later confirmed one).
 * - duplicated: a code with more than one target document, or more than one live hub record;
 * - lost: an expected code with no target document and no open dead letter;
 * - stale: a code whose hub record or target document shows an older name or phone than the latest
 *   (the target's is compared with the hub's for the phone, and with the source for the name);
 * - dead letters: open ones, by code; they are allowed only where the scenario expects them.
 */

export interface Comparison {
  readonly expected: number;
  readonly inHub: number;
  readonly atTarget: number;
  readonly duplicated: number;
  readonly lost: number;
  readonly stale: number;
  readonly deadLetters: number;
  readonly deadLetterCodes: Record<string, number>;
  /** Target documents whose hub code is no expected record. */
  readonly extra: number;
  /** A few examples per kind, for the engine engineers. */
  readonly examples: { readonly duplicated: string[]; readonly lost: string[]; readonly stale: string[]; readonly missingInHub: string[]; readonly deadLetters: string[] };
  readonly missingInHub: number;
}

interface HubRow {
  id: string;
  name: string | undefined;
  phone: string | undefined;
  currency: string | undefined;
}

export async function compare(source: Map<string, { name: string; currency: string }>, store: Pool, target: TargetFake, writers: ApiWriters): Promise<Comparison> {
  const [rows] = await store.query<RowDataPacket[]>('SELECT id, code, data FROM hub_customers WHERE deleted_at IS NULL');
  const hub = new Map<string, HubRow[]>();
  const codeOfId = new Map<string, string>();
  for (const r of rows) {
    const data = JSON.parse(String(r['data'])) as Record<string, unknown>;
    const code = String(r['code']);
    codeOfId.set(String(r['id']), code);
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    hub.set(code, [...(hub.get(code) ?? []), { id: String(r['id']), name: text(data['name']), phone: text(data['phone']), currency: text(data['currency']) }]);
  }
  const [letters] = await store.query<RowDataPacket[]>(`SELECT record_id, direction, error_code FROM hub_dead_letters WHERE state = 'open'`);
  const deadLetterCodes: Record<string, number> = {};
  const dead = new Set<string>();
  for (const l of letters) {
    const key = `${String(l['direction'])}:${String(l['error_code'])}`;
    deadLetterCodes[key] = (deadLetterCodes[key] ?? 0) + 1;
    dead.add(codeOfId.get(String(l['record_id'])) ?? `id:${String(l['record_id'])}`);
  }

  const examples = { duplicated: [] as string[], lost: [] as string[], stale: [] as string[], missingInHub: [] as string[], deadLetters: [] as string[] };
  const note = (list: string[], text: string) => void (list.length < 8 && list.push(text));
  let duplicated = 0;
  let lost = 0;
  let stale = 0;
  let inHub = 0;
  let atTarget = 0;
  let missingInHub = 0;
  for (const [code, want] of source) {
    const hubRows = hub.get(code) ?? [];
    const docNames = target.byCode.get(code) ?? [];
    const docs = docNames.map((n) => target.docs.get(n)!);
    if (hubRows.length > 0) inHub++;
    else {
      missingInHub++;
      note(examples.missingInHub, code);
    }
    if (docs.length > 0) atTarget++;
    if (hubRows.length > 1 || docs.length > 1) {
      duplicated++;
      note(examples.duplicated, `${code}: hub ${hubRows.length} (${hubRows.map((h) => h.id).join(', ')}), target ${docs.length} (${docNames.join(', ')})`);
    }
    if (docs.length === 0) {
      if (dead.has(code)) note(examples.deadLetters, code);
      else {
        lost++;
        note(examples.lost, `${code}${hubRows.length ? '' : ' (not in the hub either)'}`);
      }
      continue;
    }
    const phones = writers.candidates(code);
    const h = hubRows[0];
    const problems: string[] = [];
    if (h) {
      if (h.name !== want.name) problems.push(`hub name "${h.name}" ≠ source "${want.name}"`);
      if (!phones.values.has(h.phone)) problems.push(`hub phone ${h.phone} not among the last API writes [${[...phones.values].join(', ')}]`);
    }
    for (const d of docs) {
      if (d['customer_name'] !== want.name) problems.push(`target ${d.name} customer_name "${String(d['customer_name'])}" ≠ source "${want.name}"`);
      const mobile = typeof d['mobile_no'] === 'string' ? d['mobile_no'] : undefined;
      if (h && mobile !== h.phone) problems.push(`target ${d.name} mobile_no ${mobile} ≠ hub ${h.phone}`);
    }
    if (problems.length) {
      stale++;
      note(examples.stale, `${code}: ${problems.join('; ')}${dead.has(code) ? ' (open dead letter)' : ''}`);
    }
  }
  let extra = 0;
  for (const [code, names] of target.byCode) if (names.length > 0 && !source.has(code)) extra++;
  return { expected: source.size, inHub, atTarget, duplicated, lost, stale, deadLetters: letters.length, deadLetterCodes, extra, examples, missingInHub };
}

/** Target documents and hub code count, cheap enough to poll (quiescence). */
export function targetFingerprint(target: TargetFake): string {
  return `${target.docs.size}:${target.counts.applied}`;
}

export { HUB_CODE_FIELD };
