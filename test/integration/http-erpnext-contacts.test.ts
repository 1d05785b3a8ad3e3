import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createErpnextConnector } from '../../connectors/erpnext/erpnext.js';
import { withPrimary } from '../../connectors/erpnext/contacts.js';
import { mapped } from '../fixtures/mapped.js';
import { offlineWithNock } from '../fixtures/nock.js';

/**
 * A customer's e-mail and mobile, and contact persons, written as ERPNext keeps them: a Customer's
 * `email_id` / `mobile_no` are read-only copies of its primary Contact (`customer_primary_contact`,
 * fetch_from), so a change goes to that Contact's `email_ids` / `phone_nos` rows (Contact Email, Contact
 * Phone), and the customer is saved again to fetch them; a Contact belongs to a customer through a
 * `links` row (Dynamic Link). Exact requests as Frappe documents them (frappe/api/v1.py).
 */

const BASE = 'https://erp.example.com';
offlineWithNock();
const erp = () => createErpnextConnector({ baseUrl: BASE, apiKey: 'k1', apiSecret: 's1' });
const api = () => nock(BASE, { reqheaders: { authorization: 'token k1:s1' } });
const M = '2026-11-20 09:00:00.000000';

const customerPayload = (email: string, mobile: string) => ({ custom_hub_code: 'C-100', customer_name: 'Acme GmbH', customer_type: 'Company', customer_group: 'Commercial', territory: 'Germany', email_id: email, mobile_no: mobile });
/** Contact "Acme GmbH-CUST-2026-00001" as `GET /api/resource/Contact/<name>` answers it, child tables included. */
const contact = {
  name: 'Acme GmbH-CUST-2026-00001',
  doctype: 'Contact',
  company_name: 'Acme GmbH',
  is_primary_contact: 1,
  email_id: 'info@acme.example',
  mobile_no: '+49 30 1000',
  phone: '+49 30 9999',
  modified: M,
  email_ids: [
    { name: 'e1a2b3c4d5', idx: 1, parent: 'Acme GmbH-CUST-2026-00001', parentfield: 'email_ids', parenttype: 'Contact', doctype: 'Contact Email', email_id: 'info@acme.example', is_primary: 1 },
    { name: 'e6f7a8b9c0', idx: 2, parent: 'Acme GmbH-CUST-2026-00001', parentfield: 'email_ids', parenttype: 'Contact', doctype: 'Contact Email', email_id: 'billing@acme.example', is_primary: 0 },
  ],
  phone_nos: [
    { name: 'p1a2b3c4d5', idx: 1, parent: 'Acme GmbH-CUST-2026-00001', parentfield: 'phone_nos', parenttype: 'Contact', doctype: 'Contact Phone', phone: '+49 30 1000', is_primary_phone: 0, is_primary_mobile_no: 1 },
    { name: 'p6f7a8b9c0', idx: 2, parent: 'Acme GmbH-CUST-2026-00001', parentfield: 'phone_nos', parenttype: 'Contact', doctype: 'Contact Phone', phone: '+49 30 9999', is_primary_phone: 1, is_primary_mobile_no: 0 },
  ],
  links: [{ name: 'l1a2b3c4d5', idx: 1, parent: 'Acme GmbH-CUST-2026-00001', parentfield: 'links', parenttype: 'Contact', doctype: 'Dynamic Link', link_doctype: 'Customer', link_name: 'CUST-2026-00001' }],
};

describe('ERPNext customers: e-mail and mobile through the primary Contact', () => {
  it('when the saved customer shows other copies: the contact\'s primary rows change in place (other rows kept), then the customer is saved to fetch them', async () => {
    const payload = customerPayload('sales@acme.example', '+49 30 2000');
    const saved = { ...payload, name: 'CUST-2026-00001', customer_primary_contact: contact.name, email_id: 'info@acme.example', mobile_no: '+49 30 1000', modified: M };
    const scope = api()
      .put('/api/resource/Customer/CUST-2026-00001', payload)
      .reply(200, { data: saved })
      .get('/api/resource/Contact/Acme%20GmbH-CUST-2026-00001')
      .reply(200, { data: contact })
      .put('/api/resource/Contact/Acme%20GmbH-CUST-2026-00001', {
        email_ids: [{ ...contact.email_ids[0]!, email_id: 'sales@acme.example' }, contact.email_ids[1]!],
        phone_nos: [{ ...contact.phone_nos[0]!, phone: '+49 30 2000' }, contact.phone_nos[1]!],
      })
      .reply(200, { data: { ...contact, email_id: 'sales@acme.example', mobile_no: '+49 30 2000' } })
      .put('/api/resource/Customer/CUST-2026-00001', { customer_primary_contact: contact.name })
      .reply(200, { data: { ...saved, email_id: 'sales@acme.example', mobile_no: '+49 30 2000' } });
    expect(await erp().upsert('Customer', [{ hubId: 'c', payload: mapped(payload), externalId: 'CUST-2026-00001' }])).toEqual([{ ok: true, externalId: 'CUST-2026-00001' }]);
    scope.done();
  });

  it('a create sends them on the Customer: ERPNext makes the primary contact itself (create_primary_contact), nothing more is written', async () => {
    const payload = customerPayload('info@acme.example', '+49 30 1000');
    const lookup = { filters: JSON.stringify([['custom_hub_code', '=', 'C-100']]), fields: JSON.stringify(['name', 'custom_hub_code']), limit_page_length: '2' };
    const scope = api()
      .get('/api/resource/Customer')
      .query(lookup)
      .reply(200, { data: [] })
      .post('/api/resource/Customer', payload)
      .reply(200, { data: { ...payload, name: 'CUST-2026-00001', customer_primary_contact: contact.name, modified: M } });
    expect(await erp().upsert('Customer', [{ hubId: 'c', payload: mapped(payload) }])).toEqual([{ ok: true, externalId: 'CUST-2026-00001' }]);
    scope.done();
  });
});

describe('ERPNext contacts of the hub', () => {
  const person = { custom_hub_code: 'K-1', customer: 'CUST-2026-00001', first_name: 'Anna', last_name: 'Schmidt', designation: 'Einkauf', email_id: 'anna@acme.example', phone: '+49 40 100', mobile_no: '+49 170 200' };
  const lookup = { filters: JSON.stringify([['custom_hub_code', '=', 'K-1']]), fields: JSON.stringify(['name', 'custom_hub_code']), limit_page_length: '2' };

  it('a create: the e-mail and numbers as primary rows, the customer as a Dynamic Link row', async () => {
    const scope = api()
      .get('/api/resource/Contact')
      .query(lookup)
      .reply(200, { data: [] })
      .post('/api/resource/Contact', {
        custom_hub_code: 'K-1',
        first_name: 'Anna',
        last_name: 'Schmidt',
        designation: 'Einkauf',
        email_ids: [{ email_id: 'anna@acme.example', is_primary: 1 }],
        phone_nos: [
          { phone: '+49 40 100', is_primary_phone: 1 },
          { phone: '+49 170 200', is_primary_mobile_no: 1 },
        ],
        links: [{ link_doctype: 'Customer', link_name: 'CUST-2026-00001' }],
      })
      .reply(200, { data: { name: 'Anna Schmidt-CUST-2026-00001', modified: M } });
    expect(await erp().upsert('Contact', [{ hubId: 'k', payload: mapped(person) }])).toEqual([{ ok: true, externalId: 'Anna Schmidt-CUST-2026-00001' }]);
    scope.done();
  });

  it('an update keeps rows and links to other doctypes, and moves the Customer link when the hub moved the contact', async () => {
    const current = {
      ...contact,
      name: 'Anna Schmidt-CUST-2026-00001',
      first_name: 'Anna',
      last_name: 'Schmidt',
      links: [...contact.links, { name: 'l6f7a8b9c0', idx: 2, doctype: 'Dynamic Link', link_doctype: 'Supplier', link_name: 'SUP-7' }],
    };
    const scope = api()
      .get('/api/resource/Contact/Anna%20Schmidt-CUST-2026-00001')
      .reply(200, { data: current })
      .put('/api/resource/Contact/Anna%20Schmidt-CUST-2026-00001', {
        custom_hub_code: 'K-1',
        first_name: 'Anna',
        last_name: 'Schmidt',
        designation: 'Einkauf',
        email_ids: [{ ...contact.email_ids[0]!, email_id: 'anna@beta.example' }, contact.email_ids[1]!],
        phone_nos: [{ ...contact.phone_nos[0]!, phone: '+49 170 200' }, { ...contact.phone_nos[1]!, phone: '+49 40 100' }],
        links: [current.links[1]!, { link_doctype: 'Customer', link_name: 'CUST-2026-00002' }],
      })
      .reply(200, { data: { ...current, modified: M } });
    const moved = { ...person, customer: 'CUST-2026-00002', email_id: 'anna@beta.example' };
    expect(await erp().upsert('Contact', [{ hubId: 'k', payload: mapped(moved), externalId: 'Anna Schmidt-CUST-2026-00001' }])).toEqual([{ ok: true, externalId: 'Anna Schmidt-CUST-2026-00001' }]);
    scope.done();
  });
});

describe('withPrimary: one row marked for a role', () => {
  const rows = [
    { name: 'r1', phone: '+1', is_primary_phone: 1, is_primary_mobile_no: 1 },
    { name: 'r2', phone: '+2', is_primary_phone: 0, is_primary_mobile_no: 0 },
  ];
  const flags = ['is_primary_phone', 'is_primary_mobile_no'];
  it('a row marked for two roles is unmarked for the one that changes, and the new number gets its own row (or the row holding it)', () => {
    expect(withPrimary(rows, 'phone', 'is_primary_mobile_no', flags, '+3')).toEqual([{ ...rows[0], is_primary_mobile_no: 0 }, rows[1], { phone: '+3', is_primary_mobile_no: 1 }]);
    expect(withPrimary(rows, 'phone', 'is_primary_mobile_no', flags, '+2')).toEqual([{ ...rows[0], is_primary_mobile_no: 0 }, { ...rows[1], is_primary_mobile_no: 1 }]);
  });
  it('an empty value unmarks, removing a row marked for nothing else; the same value changes nothing', () => {
    expect(withPrimary(rows, 'phone', 'is_primary_phone', flags, null)).toEqual([{ ...rows[0], is_primary_phone: 0 }, rows[1]]);
    expect(withPrimary([{ name: 'e', email_id: 'a@b.example', is_primary: 1 }], 'email_id', 'is_primary', ['is_primary'], '')).toEqual([]);
    expect(withPrimary(rows, 'phone', 'is_primary_phone', flags, '+1')).toEqual(rows);
  });
});
