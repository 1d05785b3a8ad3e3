import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ExternalRecord } from '../connectors/contract.js';
import { HubError, NotFoundError, UnprocessableError, type FieldProblem } from '../core/errors.js';
import type { EntityName } from '../core/model/entities.js';
import type { SourceSpec } from './ingest.js';
import type { SourceRunner } from './sources.js';

/** Most records one webhook call may carry. */
export const WEBHOOK_MAX_RECORDS = 5000;

/** A webhook call as received: every header (lower-case names) and the body's exact bytes. */
export interface WebhookCall {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

/**
 * The generic webhook, for connectors without their own (`Connector.webhook`): the body is
 * `{ entity, records }` (entity: the external entity name) signed with HMAC-SHA256 of the raw body
 * under the source's webhook secret, sent as `X-Hub-Signature-256: sha256=<hex>`.
 */
function genericWebhook(call: WebhookCall, secret: string): { entity?: unknown; records?: unknown } {
  const signature = call.headers['x-hub-signature-256'];
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(call.body).digest('hex')}`);
  const given = Buffer.from(signature ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new HubError('invalid_signature', 401, 'The webhook signature does not match', [{ pointer: '/headers/x-hub-signature-256', detail: signature ? 'does not match the body under the configured secret' : 'is missing' }]);
  }
  let body: unknown;
  try {
    body = JSON.parse(call.body.toString('utf8'));
  } catch {
    throw new UnprocessableError('The webhook body is not JSON', [{ pointer: '', detail: 'is not valid JSON' }]);
  }
  return typeof body === 'object' && body !== null ? (body as { entity?: unknown; records?: unknown }) : {};
}

/**
 * A source's webhook call, verified and read: by the source's connector where it reads its system's
 * own webhooks (`Connector.webhook`, e.g. ERPNext's `X-Frappe-Webhook-Signature`), else the generic
 * way (`X-Hub-Signature-256`, `{ entity, records }`). A bad signature is a 401 naming the header; a
 * body that is not what it should be a 422 naming every problem.
 */
export function verifiedWebhook(source: SourceSpec, secret: string, call: WebhookCall): { entity: EntityName; records: ExternalRecord[] } {
  const connector = source.connector;
  const native = connector.webhook !== undefined;
  const b: { entity?: unknown; records?: unknown } = connector.webhook ? connector.webhook({ headers: call.headers, body: call.body, secret }) : genericWebhook(call, secret);
  const problems: FieldProblem[] = [];
  const mapping = typeof b.entity === 'string' ? Object.values(source.inbound).find((m) => m?.externalEntity === b.entity) : undefined;
  if (typeof b.entity !== 'string') problems.push({ pointer: '/entity', detail: 'is required: the external entity name' });
  else if (!mapping) problems.push({ pointer: native ? '' : '/entity', detail: `${source.name} has no inbound mapping for ${b.entity.slice(0, 140)}` });
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

  async receive(connector: string, call: WebhookCall): Promise<{ accepted: number }> {
    const s = this.deps.sources.get(connector);
    const secret = this.deps.secrets.get(connector);
    if (!s || !secret) throw new NotFoundError(`No webhook for ${connector}`);
    const { entity, records } = verifiedWebhook(s.source, secret, call);
    // A call that carries no change (a connector's own webhook may leave a document out) queues nothing.
    if (records.length > 0) await s.push(entity, records, 'webhook');
    return { accepted: records.length };
  }
}
