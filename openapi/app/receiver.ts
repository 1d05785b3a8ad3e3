import type { Principal } from '../../core/auth/principal.js';
import { ENTITIES } from '../../core/model/entities.js';
import type { Receiver } from '../../core/policy/engine.js';
import type { Store } from '../../core/store/store.js';

/**
 * The policy receiver for a caller, read fresh on each request: a moved user or a re-parented team
 * takes effect on the next request.
 */
export async function receiverFor(principal: Principal, store: Store): Promise<Receiver> {
  const userId = principal.type === 'user' ? principal.id : null;
  const subtree = new Set<string>();
  if (principal.teamId) {
    const children = new Map<string, string[]>();
    let after: { value: string; id: string } | undefined;
    do {
      const page = await store.records.list(ENTITIES.team, { limit: 500, ...(after ? { after } : {}) });
      for (const t of page.items) {
        const parent = typeof t['parentTeamId'] === 'string' ? t['parentTeamId'] : '';
        children.set(parent, [...(children.get(parent) ?? []), t.id]);
      }
      after = page.next;
    } while (after);
    const queue = [principal.teamId];
    while (queue.length > 0) {
      const id = queue.shift() as string;
      if (subtree.has(id)) continue;
      subtree.add(id);
      queue.push(...(children.get(id) ?? []));
    }
  }
  return { kind: 'principal', roles: principal.roles, userId, teamId: principal.teamId, subtree };
}
