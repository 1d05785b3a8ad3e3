import { describe, expect, it } from 'vitest';
import { createConnector } from '../../connectors/config.js';
import { configErrorOf } from '../fixtures/config-error.js';

/** The sapb1 connector's configuration: every mistake named at its field, the password never echoed. */

const good = { type: 'sapb1', baseUrl: 'https://sap.example.com:50000/b1s/v1', companyDb: 'SBODEMODE', userName: 'hub', passwordEnv: 'SAP_B1_PASSWORD' } as const;

describe('sapb1 configuration', () => {
  it('builds from a working configuration without connecting', async () => {
    const c = createConnector('sapb1', good, { SAP_B1_PASSWORD: 's3cret' });
    expect(Object.keys(c.describe().entities)).toEqual(['BusinessPartners', 'Items', 'Orders', 'Invoices', 'IncomingPayments', 'ItemWarehouseInfo']);
    expect(c.describe().entities['Orders']).toMatchObject({ write: true, createRetry: 'lookup', upsertKey: 'NumAtCard', detectDeletes: false });
    expect(c.describe().entities['BusinessPartners']).toMatchObject({ write: true, createRetry: 'key', upsertKey: 'CardCode' });
    expect(c.describe().entities['Invoices']).toMatchObject({ write: false, detectDeletes: true });
    await c.close();
  });

  it('names each bad field and the reason', () => {
    const problems = configErrorOf(() =>
      createConnector('sap', { ...good, baseUrl: 'https://sap.example.com:50000/b1s/v2', companyDb: '', orderDelete: 'remove', pageSize: 0, extra: 1 } as never, { SAP_B1_PASSWORD: 'x' }),
    ).errors;
    expect(problems).toEqual(expect.arrayContaining([
      { pointer: '/connectors/sap/baseUrl', detail: 'must be the Service Layer root, ending in /b1s/v1 (e.g. https://sap.example.com:50000/b1s/v1)' },
      expect.objectContaining({ pointer: '/connectors/sap/companyDb' }),
      expect.objectContaining({ pointer: '/connectors/sap/orderDelete' }),
      expect.objectContaining({ pointer: '/connectors/sap/pageSize' }),
      { pointer: '/connectors/sap', detail: 'unknown key(s): extra' },
    ]));
    expect(configErrorOf(() => createConnector('sap', { ...good, baseUrl: 'not a url' }, { SAP_B1_PASSWORD: 'x' })).errors[0]?.pointer).toBe('/connectors/sap/baseUrl');
    expect(configErrorOf(() => createConnector('sap', good, {})).errors).toEqual([{ pointer: '/connectors/sap/passwordEnv', detail: 'environment variable SAP_B1_PASSWORD is not set' }]);
  });
});
