import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Connector } from '../connectors/contract.js';
import { HubError } from '../core/errors.js';
import { ENTITIES, type EntityName } from '../core/model/entities.js';
import type { PolicyEngine } from '../core/policy/engine.js';
import type { Store } from '../core/store/store.js';
import { MappingError, type CompiledMapping } from '../mappings/engine/compile.js';
import { targetReceiver } from '../mappings/engine/preview.js';

export interface DeliveryJob {
  readonly entity: EntityName;
  readonly id: string;
}

export interface TargetSpec {
  readonly name: string;
  readonly connector: Connector;
  /** Entity → the outbound mapping that shapes it for this target. */
  readonly mappings: Readonly<Partial<Record<EntityName, CompiledMapping>>>;
}

export interface DeliveryDeps {
  readonly store: Store;
  readonly policy: PolicyEngine;
  readonly log: Logger;
  readonly connection: ConnectionOptions;
  readonly prefix: string;
  /** Attempts before a retryable failure becomes a dead letter; default 8. */
  readonly attempts?: number;
  /** First retry delay (ms), doubled each attempt with jitter; default 500. */
  readonly backoffMs?: number;
}

export const deliveryQueueName = (target: string) => `deliver.${target}`;

/** A failure the queue should retry (BullMQ backs off); anything else the worker handles itself. */
class RetryableDelivery extends Error {}

/**
 * One target's delivery queue and worker. Jobs name a record, never carry its content: the worker
 * reads the current state, projects it for the target, maps it and upserts it. Jobs for the same
 * record are deduplicated while waiting; the worker runs one job at a time per target, so two
 * deliveries of a record to a target never overlap, and after each upsert it compares the delivered
 * version with the current one and queues one more delivery if the record changed meanwhile.
 */
export class TargetDelivery {
  readonly queue: Queue<DeliveryJob>;
  private worker: Worker<DeliveryJob> | undefined;

  constructor(
    private readonly target: TargetSpec,
    private readonly deps: DeliveryDeps,
  ) {
    this.queue = new Queue<DeliveryJob>(deliveryQueueName(target.name), { connection: deps.connection, prefix: deps.prefix });
  }

  wants(entity: string): entity is EntityName {
    return entity in this.target.mappings;
  }

  async enqueue(entity: EntityName, id: string, suffix = ''): Promise<void> {
    await this.queue.add('deliver', { entity, id }, {
      deduplication: { id: `${entity}:${id}${suffix}` },
      attempts: this.deps.attempts ?? 8,
      backoff: { type: 'exponential', delay: this.deps.backoffMs ?? 500, jitter: 0.5 },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    });
  }

  start(): void {
    this.worker = new Worker<DeliveryJob>(deliveryQueueName(this.target.name), (job) => this.deliver(job), { connection: this.deps.connection, prefix: this.deps.prefix, concurrency: 1 });
    this.worker.on('failed', (job, error) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
        // Only the hub's own messages are known to be value-free; anything else is recorded by its kind.
        const message = error instanceof RetryableDelivery || error instanceof HubError ? error.message : `unexpected ${error.name}`;
        this.deadLetter(job.data, 0, {}, 'retries_exhausted', message, job.attemptsMade).catch((e: unknown) =>
          this.deps.log.error({ target: this.target.name, entity: job.data.entity, recordId: job.data.id, err: { name: (e as Error).name } }, 'could not write a dead letter'),
        );
      }
    });
    this.worker.on('error', (error) => this.deps.log.warn({ target: this.target.name, err: { message: error.message } }, 'delivery worker error'));
  }

  private async deadLetter(job: DeliveryJob, version: number, payload: Record<string, unknown>, code: string, message: string, attempts: number): Promise<void> {
    await this.deps.store.deadLetters.add({ target: this.target.name, entity: job.entity, recordId: job.id, version, payload, errorCode: code, errorMessage: message, attempts, createdAt: new Date().toISOString() });
    this.deps.log.warn({ target: this.target.name, entity: job.entity, recordId: job.id, code }, 'delivery dead-lettered');
  }

  private async deliver(job: Job<DeliveryJob>): Promise<string> {
    const { entity, id } = job.data;
    const mapping = this.target.mappings[entity];
    if (!mapping) return 'no mapping';
    const { store, policy } = this.deps;
    const record = await store.records.get(ENTITIES[entity], id);
    if (!record) return 'deleted'; // tombstones: delete propagation comes with the sync engine's delete support
    const projected = policy.project(targetReceiver(mapping.target), entity, record);
    if (!projected) return 'outside the target rows';

    // Lookups resolve through id links: collect what the mapping asks for, fetch, then map for real.
    const wanted = new Map<EntityName, Set<string>>();
    const links = new Map<string, string>();
    let payload: Record<string, unknown>;
    try {
      const collect = (e: EntityName, ref: string): string => {
        let ids = wanted.get(e);
        if (!ids) wanted.set(e, (ids = new Set()));
        ids.add(ref);
        return 'pending';
      };
      mapping.map(projected, { link: collect });
      for (const [e, ids] of wanted) for (const [hub, ext] of await store.idLinks.externalIds(this.target.name, e, [...ids])) links.set(`${e}:${hub}`, ext);
      payload = mapping.map(projected, { link: (e, ref) => links.get(`${e}:${ref}`) });
    } catch (error) {
      if (!(error instanceof MappingError)) throw error;
      // An unresolved lookup may resolve once the referenced record is delivered: retry; a refused value will not.
      if (/no id link/.test(error.message)) throw new RetryableDelivery(error.message);
      await this.deadLetter(job.data, record.version, projected, 'mapping', error.message, job.attemptsMade + 1);
      return 'dead letter (mapping)';
    }

    const [outcome] = await this.target.connector.upsert(mapping.externalEntity, [{ hubId: id, payload }]);
    if (!outcome) throw new RetryableDelivery('the connector returned no outcome');
    if (!outcome.ok) {
      if (outcome.kind === 'retryable') throw new RetryableDelivery(`${outcome.code}: ${outcome.message}`);
      await this.deadLetter(job.data, record.version, payload, outcome.code, outcome.message, job.attemptsMade + 1);
      return `dead letter (${outcome.code})`;
    }
    const known = await store.idLinks.externalIds(this.target.name, entity, [id]);
    if (!known.has(id)) await store.idLinks.link(this.target.name, entity, id, outcome.externalId, new Date().toISOString()).catch(() => undefined);
    // No lost update: a change committed while this delivery ran was deduplicated away; deliver again.
    const now = await store.records.get(ENTITIES[entity], id);
    if (now && now.version > record.version) await this.enqueue(entity, id, `:v${now.version}`);
    return `delivered v${record.version}`;
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
