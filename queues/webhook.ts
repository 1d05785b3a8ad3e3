import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ExternalRecord } from '../connectors/contract.js';
import { HubError, NotFoundError, UnprocessableError, type FieldProblem } from '../core/errors.js';
import type { EntityName } from '../core/model/entities.js';
import type { SourceSpec } from './ingest.js';
import type { SourceRunner } from './sources.js';

/** Most records one webhook call may carry. */
export const WEBHOOK_MAX_RECORDS = 5000;

/**
 * A source's webhook call, verified and read: the body is `{ entity, records }` (entity: the external
 * entity name) signed with HMAC-SHA256 of the raw body under the source's webhook secret, sent as
 * `X-Hub-Signature-256: sha256=<hex>`. A bad signature is a 401; a body that is not what it should be
 * a 422 naming every problem.
 */
export function verifiedWebhook(source: SourceSpec, secret: string, rawBody: Buffer, signature: string | undefined): { entity: EntityName; records: ExternalRecord[] } {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`);
  const given = Buffer.from(signature ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new HubError('invalid_signature', 401, 'The webhook signature does not match', [{ pointer: '/headers/x-hub-signature-256', detail: signature ? 'does not match the body under the configured secret' : 'is missing' }]);
  }
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new UnprocessableError('The webhook body is not JSON', [{ pointer: '', detail: 'is not valid JSON' }]);
  }
  const b = body as { entity?: unknown; records?: unknown };
  const problems: FieldProblem[] = [];
  const mapping = typeof b.entity === 'string' ? Object.values(source.inbound).find((m) => m?.externalEntity === b.entity) : undefined;
  if (typeof b.entity !== 'string') problems.push({ pointer: '/entity', detail: 'is required: the external entity name' });
  else if (!mapping) problems.push({ pointer: '/entity', detail: `${source.name} has no inbound mapping for ${b.entity}` });
  if (!Array.isArray(b.records)) problems.push({ pointer: '/records', detail: 'is required: an array of records' });
  else if (b.records.length > WEBHOOK_MAX_RECORDS) problems.push({ pointer: '/records', detail: `holds more than ${WEBHOOK_MAX_RECORDS} records` });
  else
    b.records.forEach((r, i) => {
      if (typeof r !== 'object' || r === null || Array.isArray(r)) problems.push({ pointer: `/records/${i}`, detail: 'is not an object' });
    });
  if (problems.length > 0 || !mapping) throw new UnprocessableError('The webhook body is invalid', problems);
  return { entity: mapping.entity, records: b.records as ExternalRecord[] };
}

export interface WebhookDeps {
  readonly sources: ReadonlyMap<string, Pick<SourceRunner, 'source' | 'push'>>;
  /** Source → the secret its webhooks are signed with; a source without one takes no webhooks. */
  readonly secrets: ReadonlyMap<string, string>;
}

/** The sources' webhooks: a call is verified (see `verifiedWebhook`), then its records are queued for ingest. */
export class WebhookIntake {
  constructor(private readonly deps: WebhookDeps) {}

  async receive(connector: string, rawBody: Buffer, signature: string | undefined): Promise<{ accepted: number }> {
    const s = this.deps.sources.get(connector);
    const secret = this.deps.secrets.get(connector);
    if (!s || !secret) throw new NotFoundError(`No webhook for ${connector}`);
    const { entity, records } = verifiedWebhook(s.source, secret, rawBody, signature);
    await s.push(entity, records, 'webhook');
    return { accepted: records.length };
  }
}
