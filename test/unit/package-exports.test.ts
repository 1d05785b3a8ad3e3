import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { mapped } from '../fixtures/mapped.js';
// Only the package's entry point: what an embedding host can import.
import {
  CONNECTOR_MODULES,
  ConnectorError,
  HubError,
  TransformError,
  connectorFactory,
  connectorModule,
  type Connector,
  type ConnectorDescription,
  type CustomTransform,
  type ExternalRecord,
  type ReadPage,
  type RecordOutcome,
  type UpsertRequest,
  type WebhookDelivery,
  type WebhookRequest,
} from '../../hub/index.js';

/**
 * A host writes a connector against the package's exported types: the contract, ConnectorError,
 * a connector module built into the configuration with the registered ones, and a custom transform.
 */

/** A host's in-memory CRM: upserts by `email`, refuses `blocked` rows for good, and reads its own webhook. */
class HostCrm implements Connector {
  readonly rows = new Map<string, ExternalRecord>();
  constructor(private readonly name: string, private readonly token: string) {}
  describe(): ConnectorDescription {
    return { connector: this.name, entities: { contacts: { read: true, write: true, detectChanges: true, detectDeletes: false, naturalKeys: ['email'], createRetry: 'key', upsertKey: 'email' } } };
  }
  async check(): Promise<void> {
    if (this.token === 'expired') throw new ConnectorError('permanent', 'unauthorized', `${this.name} refused the token`);
  }
  async read(_entity: string, cursor: string | null, limit: number): Promise<ReadPage> {
    const all = [...this.rows.values()];
    const from = cursor === null ? 0 : Number(cursor);
    const records = all.slice(from, from + limit);
    return { records, cursor: from + records.length < all.length ? String(from + records.length) : null };
  }
  async upsert(_entity: string, records: readonly UpsertRequest[]): Promise<RecordOutcome[]> {
    return records.map(({ payload }) => {
      if (payload['blocked'] === true) return { ok: false, kind: 'permanent', code: 'blocked', message: 'the CRM refuses blocked contacts' };
      this.rows.set(String(payload['email']), payload);
      return { ok: true, externalId: String(payload['email']) };
    });
  }
  keyOf(_entity: string, record: ExternalRecord): string {
    if (typeof record['email'] !== 'string') throw new ConnectorError('permanent', 'invalid_record', `${this.name} contacts record lacks email`);
    return record['email'];
  }
  webhook(request: WebhookRequest): WebhookDelivery {
    const expected = createHmac('sha256', request.secret).update(request.body).digest('hex');
    if (request.headers['x-crm-signature'] !== expected) throw new HubError('invalid_signature', 401, 'The X-Crm-Signature signature does not match', [{ pointer: '/headers/x-crm-signature', detail: 'does not match' }]);
    return { entity: 'contacts', records: [JSON.parse(request.body.toString('utf8')) as ExternalRecord] };
  }
  async close(): Promise<void> {}
}

const hostCrmModule = connectorModule({
  type: 'host_crm',
  configSchema: z.strictObject({ type: z.literal('host_crm'), tokenEnv: z.string() }),
  docs: 'docs/host-crm.md',
  secrets: (config) => [{ pointer: 'tokenEnv', variable: config.tokenEnv }],
  create: (name, config, ctx) => new HostCrm(name, ctx.secret(config.tokenEnv)),
});

describe('the package exports what a host needs to write a connector', () => {
  it('a connector written against the contract: outcomes, errors classified as the hub does', async () => {
    const crm = new HostCrm('crm', 'tok');
    expect(await crm.upsert('contacts', [{ hubId: 'h1', payload: mapped({ email: 'a@example.com' }) }, { hubId: 'h2', payload: mapped({ email: 'b@example.com', blocked: true }) }])).toEqual([
      { ok: true, externalId: 'a@example.com' },
      { ok: false, kind: 'permanent', code: 'blocked', message: 'the CRM refuses blocked contacts' },
    ]);
    expect(await crm.read('contacts', null, 10)).toEqual({ records: [{ email: 'a@example.com' }], cursor: null });
    const error = await new HostCrm('crm', 'expired').check().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toBeInstanceOf(HubError);
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_unauthorized', status: 502 });
    const body = Buffer.from(JSON.stringify({ email: 'w@example.com' }));
    expect(crm.webhook({ headers: { 'x-crm-signature': createHmac('sha256', 's').update(body).digest('hex') }, body, secret: 's' })).toEqual({ entity: 'contacts', records: [{ email: 'w@example.com' }] });
  });

  it('a host module joins the registered ones: configured by type, its secrets checked', async () => {
    expect(CONNECTOR_MODULES.map((m) => m.type)).toContain('erpnext');
    const factory = connectorFactory([...CONNECTOR_MODULES, hostCrmModule]);
    const crm = factory.create('crm', { type: 'host_crm', tokenEnv: 'CRM_TOKEN' }, { CRM_TOKEN: 'tok' });
    await expect(crm.check()).resolves.toBeUndefined();
    expect(() => factory.create('crm', { type: 'host_crm', tokenEnv: 'CRM_TOKEN' }, {})).toThrow(/misconfigured/);
  });

  it('a custom transform typed by the exported CustomTransform', () => {
    const reverse: CustomTransform = {
      fn: (value) => {
        if (typeof value !== 'string') throw new TransformError('reverse', 'takes a string');
        return [...value].reverse().join('');
      },
      input: ['string'],
      output: 'string',
    };
    expect(reverse.fn('abc', { record: {} })).toBe('cba');
    expect(() => reverse.fn(1, { record: {} })).toThrow('reverse: takes a string');
  });
});
