import { ENTITIES, type StoredRecord } from '../../../core/model/entities.js';
import type { Receiver } from '../../../core/policy/engine.js';
import type { ListPosition } from '../../../core/store/records.js';
import type { AppDeps } from '../context.js';

/** A team as the reports read it. */
export interface TeamNode {
  readonly name: string | null;
  readonly parentTeamId: string | null;
}

/** Every team, by id: names for labels and parents for the rollup (teams are few; read in pages). */
export async function teamTree(deps: Pick<AppDeps, 'store'>): Promise<Map<string, TeamNode>> {
  const teams = new Map<string, TeamNode>();
  let after: ListPosition | undefined;
  do {
    const page = await deps.store.records.list(ENTITIES.team, { limit: 500, sort: { field: 'id', desc: false }, ...(after ? { after } : {}) });
    for (const t of page.items) teams.set(t.id, { name: typeof t['name'] === 'string' ? t['name'] : null, parentTeamId: typeof t['parentTeamId'] === 'string' ? t['parentTeamId'] : null });
    after = page.next;
  } while (after);
  return teams;
}

async function inChunks(ids: readonly string[], read: (chunk: string[]) => Promise<StoredRecord[]>): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for (let i = 0; i < ids.length; i += 500) out.push(...(await read(ids.slice(i, i + 500))));
  return out;
}

/**
 * The label of each group key, as the caller may see it: a customer's `code` and `name` as its
 * projection for the caller shows them (null for a customer it may not see), a user's display name,
 * a team's name. A key without a label maps to null.
 */
export async function groupLabels(deps: AppDeps, receiver: Receiver, groupBy: 'customer' | 'owner' | 'team', keys: readonly string[], teams?: ReadonlyMap<string, TeamNode>): Promise<Map<string, string | null>> {
  const labels = new Map<string, string | null>(keys.map((k) => [k, null]));
  if (groupBy === 'team') {
    const tree = teams ?? (await teamTree(deps));
    for (const k of keys) labels.set(k, tree.get(k)?.name ?? null);
    return labels;
  }
  if (groupBy === 'owner') {
    for (const u of await inChunks(keys, (chunk) => deps.store.records.getMany(ENTITIES.user, chunk))) {
      labels.set(u.id, typeof u['displayName'] === 'string' ? u['displayName'] : null);
    }
    return labels;
  }
  for (const c of await inChunks(keys, (chunk) => deps.store.records.getMany(ENTITIES.customer, chunk))) {
    const shown = deps.policy.project(receiver, 'customer', c);
    const parts = shown ? [shown['code'], shown['name']].filter((v): v is string => typeof v === 'string' && v !== '') : [];
    labels.set(c.id, parts.length > 0 ? parts.join(' ') : null);
  }
  return labels;
}
