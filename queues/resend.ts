import type { EntityName } from '../core/model/entities.js';
import type { Store } from '../core/store/store.js';
import type { TargetDelivery } from './delivery.js';
import type { SourceRunner } from './sources.js';

/** What a desk needs of a target's delivery queue: what it takes, and a way to queue records for it. */
export type TargetQueue = Pick<TargetDelivery, 'wants' | 'enqueue'>;

/** What a desk needs of a source's ingest queue: its spec (inbound mappings), what it reads, a way to push changes. */
export type SourceQueue = Pick<SourceRunner, 'source' | 'reads' | 'push'>;

/**
 * Sends records to a target again although their content did not change since the last write:
 * the last-write hash is forgotten first, so that the delivery is not skipped as unchanged.
 */
export async function resend(links: Store['links'], target: string, queue: TargetQueue, entity: EntityName, ids: readonly string[]): Promise<void> {
  await links.forgetOutHash(target, entity, ids);
  await queue.enqueue(entity, ids);
}
