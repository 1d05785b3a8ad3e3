import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createConnector } from '../../connectors/config.js';
import { classifyFault, safeMessage } from '../../connectors/odoo/errors.js';
import { configErrorOf } from '../fixtures/config-error.js';

/**
 * The Odoo connector's configuration: the examples of docs/connectors/odoo.md build as written, and a
 * configuration missing what its protocol needs is refused naming each field and the reason.
 */

const DOC = readFileSync(fileURLToPath(new URL('../../docs/connectors/odoo.md', import.meta.url)), 'utf8');

describe('Odoo configuration', () => {
  it('builds every configuration the docs page shows', () => {
    const blocks = [...DOC.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as { connectors?: Record<string, unknown> });
    const configs = blocks.flatMap((b) => Object.entries(b.connectors ?? {}));
    expect(configs.map(([, c]) => (c as { protocol: string }).protocol)).toEqual(['jsonrpc', 'json2']);
    for (const [name, config] of configs) {
      const connector = createConnector(name, config as never, { ODOO_API_KEY: 'k-123' });
      expect(Object.keys(connector.describe().entities)).toEqual(['res.partner', 'res.partner/contact', 'product.product', 'stock.quant', 'sale.order', 'account.move', 'account.payment']);
      expect(connector.describe().entities['sale.order']).toMatchObject({ write: true, createRetry: 'lookup', upsertKey: 'client_order_ref' });
      expect(connector.describe().entities['account.move']).toMatchObject({ write: false, detectDeletes: true });
    }
  });

  it('names each field a protocol needs or refuses', () => {
    const base = { type: 'odoo', baseUrl: 'https://erp.example.com' } as const;
    expect(configErrorOf(() => createConnector('odoo', { ...base } as never, {})).errors).toEqual([
      { pointer: '/connectors/odoo/database', detail: 'is required with protocol jsonrpc: every call names the database' },
      { pointer: '/connectors/odoo/login', detail: 'is required with protocol jsonrpc: common.login takes the user login' },
      { pointer: '/connectors/odoo/passwordEnv', detail: 'is required with protocol jsonrpc: common.login takes the password or an API key' },
    ]);
    expect(configErrorOf(() => createConnector('odoo', { ...base, protocol: 'json2', login: 'x', passwordEnv: 'P' } as never, {})).errors).toEqual([
      { pointer: '/connectors/odoo/apiKeyEnv', detail: 'is required with protocol json2: every call carries Authorization: bearer <API key>' },
      { pointer: '/connectors/odoo/login', detail: 'is not used with protocol json2: the API key names the user' },
      { pointer: '/connectors/odoo/passwordEnv', detail: 'is not used with protocol json2 (use apiKeyEnv)' },
    ]);
    const unset = configErrorOf(() => createConnector('odoo', { ...base, protocol: 'json2', apiKeyEnv: 'ODOO_KEY' } as never, {}));
    expect(unset.errors).toEqual([{ pointer: '/connectors/odoo/apiKeyEnv', detail: 'environment variable ODOO_KEY is not set' }]);
    expect(configErrorOf(() => createConnector('odoo', { ...base, protocol: 'xmlrpc' } as never, {})).errors[0]?.pointer).toBe('/connectors/odoo/protocol');
  });
});

describe("Odoo's words in a refused record's message", () => {
  const payload = { name: 'Gamma KG', vat: 'XX12', email: 'ap@gamma.example', order_line: [{ name: 'Widget blue' }] };
  it('keeps a message that quotes nothing, its first line only', () => {
    expect(safeMessage('The operation cannot be completed:\n- Create/update: a mandatory field is not set.', payload)).toBe('The operation cannot be completed:');
    // Quoted text that is not a technical name may name another record: it becomes an ellipsis.
    expect(safeMessage("You are not allowed to modify 'Contact' (res.partner) records.", payload)).toBe("You are not allowed to modify '…' (res.partner) records.");
    expect(safeMessage("You cannot use the archived customer 'Alpha GmbH' on an order.", payload)).toBe("You cannot use the archived customer '…' on an order.");
    expect(safeMessage("Field 'partner_id' is required.", payload)).toBe("Field 'partner_id' is required.");
  });
  it('withholds one quoting a payload value (at any depth, any case), numbers, ids, emails', () => {
    expect(safeMessage('The VAT number [XX12] does not seem to be valid.', payload)).toBeUndefined();
    expect(safeMessage('A partner named gamma kg exists.', payload)).toBeUndefined();
    expect(safeMessage('Product WIDGET BLUE is archived.', payload)).toBeUndefined();
    expect(safeMessage('Barcode(s) already assigned: 4006381333931', payload)).toBeUndefined();
    expect(safeMessage('Records: Other Company (id=7), User: Bob', payload)).toBeUndefined();
    expect(safeMessage('Mail to someone@else.example failed', payload)).toBeUndefined();
    expect(safeMessage('The name "Some Very Long Customer Name Incorporated Worldwide" is taken', payload)).toBe('The name "…" is taken');
  });
});

describe('Odoo exception classes', () => {
  it('an unknown class is the record\'s refusal when JSON-2 answered 4xx, a server error (retried) otherwise; Odoo 8–13 Warning is permanent', () => {
    expect(classifyFault('odoo.addons.my_module.models.PriceError', 422)).toEqual({ kind: 'permanent', code: 'refused' });
    expect(classifyFault('odoo.addons.my_module.models.PriceError', 429)).toEqual({ kind: 'retryable', code: 'server_error' });
    expect(classifyFault('odoo.addons.my_module.models.PriceError', 500)).toEqual({ kind: 'retryable', code: 'server_error' });
    expect(classifyFault('odoo.addons.my_module.models.PriceError')).toEqual({ kind: 'retryable', code: 'server_error' });
    expect(classifyFault('odoo.exceptions.Warning')).toEqual({ kind: 'permanent', code: 'refused' });
    expect(classifyFault('odoo.exceptions.except_orm')).toEqual({ kind: 'permanent', code: 'refused' });
  });
});
