import type { Logger } from 'pino';
import type { ExternalRecord } from '../connectors/contract.js';
import { ENTITY_NAMES, type EntityName } from '../core/model/entities.js';
import type { Store } from '../core/store/store.js';
import type { Ingestor, SourceSpec } from './ingest.js';

/** The code of an inbound record a lookup could not resolve yet (mappings' `MissingLinkError`). */
export const WAITING_CODE = 'unresolved_reference';

/** Letters read (and ingested) at a time. */
const PAGE = 200;

export interface WaitingDeps {
  readonly store: Pick<Store, 'deadLetters'>;
  readonly ingestor: Pick<Ingestor, 'ingest'>;
  readonly log: Logger;
}

/**
 * Inbound records that wait for a record they refer to: an invoice whose customer the hub has no id
 * link for in that system yet cannot be mapped (no customer is ever made up from an invoice), so it
 * waits as an open inbound dead letter with code `unresolved_reference`, holding the source row. When
 * a page of the same source links records of an entity for the first time (`linked`), the waiting rows
 * of every entity whose mapping looks that entity up are ingested again: those that now map land (and
 * their letters are settled), the others keep waiting in the same letter. What lands may unblock more
 * (a payment waiting for its invoice), so this repeats with the entities it linked. Runs inside the
 * source's ingest job, one at a time per source like every ingest.
 */
export async function retryWaiting(deps: WaitingDeps, source: SourceSpec, linked: ReadonlySet<EntityName>, job: string): Promise<{ retried: number; landed: number }> {
  let fresh = new Set(linked);
  let retried = 0;
  let landed = 0;
  // Each pass follows the lookups one step further; there are no more steps than entities.
  for (let pass = 0; fresh.size > 0 && pass < ENTITY_NAMES.length; pass++) {
    const dependents = (Object.entries(source.inbound) as [EntityName, SourceSpec['inbound'][EntityName]][]).filter(([, m]) => m?.refers.some((e) => fresh.has(e))).map(([entity]) => entity);
    fresh = new Set();
    for (const entity of dependents) {
      let after: number | undefined;
      for (;;) {
        const letters = await deps.store.deadLetters.list({ target: source.name, direction: 'in', entity, errorCode: WAITING_CODE, state: 'open' }, PAGE, after);
        if (letters.length === 0) break;
        // A row that still waits keeps its letter (updated in place), so paging by id moves on.
        after = Number(letters[letters.length - 1]!.id);
        const rows = letters.filter((l) => l.recordId !== '' && Object.keys(l.payload).length > 0).map((l) => l.payload as ExternalRecord);
        if (rows.length > 0) {
          const result = await deps.ingestor.ingest(source, entity, rows, `${job}:waiting`);
          retried += rows.length;
          landed += result.linked;
          if (result.linked > 0) fresh.add(entity);
        }
        if (letters.length < PAGE) break;
      }
    }
  }
  if (retried > 0) deps.log.info({ source: source.name, retried, landed }, 'inbound records waiting for a reference tried again');
  return { retried, landed };
}
