import { ConnectorError, type RecordOutcome } from '../contract.js';
import { HttpError } from '../http/client.js';
import { rows, text, type FrappeDoc, type FrappeDocs, type FrappeRow } from './frappe.js';

/**
 * Customers' e-mail and phone, and contact persons, as ERPNext keeps them (erpnext/selling/doctype/
 * customer/customer.py, frappe/contacts/doctype/contact/contact.py):
 *
 * - A Customer's `email_id` and `mobile_no` are read-only copies of its primary Contact
 *   (`customer_primary_contact`, `fetch_from`), refreshed on every save of the Customer. On a save
 *   without a primary contact, ERPNext makes one from them (`create_primary_contact`: a Contact with a
 *   `links` row to the Customer, the e-mail and mobile as its primary rows) and links it; after that,
 *   writing them on the Customer does nothing. So the connector writes the Customer as mapped and, when
 *   the saved copies differ from what it sent, changes the primary Contact's rows and saves the Customer
 *   once more, which fetches the new copies.
 * - A Contact's `email_id`, `phone` and `mobile_no` are derived from its child tables on every save
 *   (`set_primary_email`, `set_primary`): `email_ids` (Contact Email: `email_id`, `is_primary`) and
 *   `phone_nos` (Contact Phone: `phone`, `is_primary_phone`, `is_primary_mobile_no`); written alone they
 *   are cleared. Whom a contact belongs to is its `links` table (Dynamic Link: `link_doctype`,
 *   `link_name`). The connector writes those tables, keeping the rows it does not change (with their names).
 */

export const CUSTOMER = 'Customer';
export const CONTACT = 'Contact';

const set = (v: unknown) => v === 1 || v === '1' || v === true;

/**
 * Rows with `value` as the one marked `flag` (a primary e-mail, phone or mobile): the marked row takes
 * the new value (a row marked for another role too is unmarked instead and the value gets its own
 * row); an empty value unmarks (removes a row marked for nothing else). Other rows stay as read.
 */
export function withPrimary(current: readonly FrappeRow[], field: string, flag: string, flags: readonly string[], value: unknown): FrappeRow[] {
  const out = current.map((r) => ({ ...r }));
  const wanted = text(value);
  const marked = out.findIndex((r) => set(r[flag]));
  const alsoOther = (r: FrappeRow) => flags.some((f) => f !== flag && set(r[f]));
  if (wanted === undefined) {
    if (marked < 0) return out;
    if (alsoOther(out[marked]!)) out[marked] = { ...out[marked]!, [flag]: 0 };
    else out.splice(marked, 1);
    return out;
  }
  if (marked >= 0 && text(out[marked]![field]) === wanted) return out;
  if (marked >= 0 && !alsoOther(out[marked]!)) {
    out[marked] = { ...out[marked]!, [field]: wanted };
    return out;
  }
  if (marked >= 0) out[marked] = { ...out[marked]!, [flag]: 0 };
  const same = out.findIndex((r) => text(r[field]) === wanted);
  if (same >= 0) out[same] = { ...out[same]!, [flag]: 1 };
  else out.push({ [field]: wanted, [flag]: 1 });
  return out;
}

const PHONE_FLAGS = ['is_primary_phone', 'is_primary_mobile_no'] as const;

/** The child tables of a Contact for the e-mail, phone and mobile given (only those present in `values`). */
function contactTables(current: FrappeDoc | undefined, values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if ('email_id' in values) body['email_ids'] = withPrimary(rows(current?.['email_ids']), 'email_id', 'is_primary', ['is_primary'], values['email_id']);
  let phones = rows(current?.['phone_nos']);
  if ('phone' in values) phones = withPrimary(phones, 'phone', 'is_primary_phone', PHONE_FLAGS, values['phone']);
  if ('mobile_no' in values) phones = withPrimary(phones, 'phone', 'is_primary_mobile_no', PHONE_FLAGS, values['mobile_no']);
  if ('phone' in values || 'mobile_no' in values) body['phone_nos'] = phones;
  return body;
}

/**
 * Saves a document by the linked name, else through the lookup, else creates it. A `name` in the body
 * that is not the addressed document's stays out of an update (Frappe would apply it as a rename).
 */
async function save(docs: FrappeDocs, doctype: string, body: Record<string, unknown>, linked: string | undefined, lookup: (() => Promise<string | undefined>) | undefined): Promise<FrappeDoc> {
  const { name: named, ...rest } = body;
  const put = (name: string) => docs.put(doctype, name, named === undefined || named === name ? body : rest);
  if (linked !== undefined) {
    try {
      return await put(linked);
    } catch (error) {
      // Gone in ERPNext: made again (through the lookup first).
      if (!(error instanceof HttpError && error.httpStatus === 404)) throw error;
    }
  }
  const found = lookup === undefined ? undefined : await lookup();
  if (found !== undefined) return put(found);
  return docs.create(doctype, body, lookup ?? (async () => undefined), put);
}

export interface ContactWriteOptions {
  readonly lookupField: string | undefined;
  readonly connector: string;
}

const lookupOf = (docs: FrappeDocs, doctype: string, field: string | undefined, payload: Readonly<Record<string, unknown>>) => {
  const value = field === undefined ? undefined : text(payload[field]);
  return value === undefined || field === undefined ? undefined : () => docs.find(doctype, field, value);
};

/**
 * Writes a Customer, then its primary Contact when the e-mail or mobile sent is not what the saved
 * Customer shows (its copies come from that contact): the contact's primary rows are changed and the
 * Customer saved again so that it fetches them.
 */
export async function upsertCustomer(docs: FrappeDocs, options: ContactWriteOptions, payload: Readonly<Record<string, unknown>>, linked: string | undefined): Promise<RecordOutcome> {
  const saved = await save(docs, CUSTOMER, { ...payload }, linked ?? text(payload['name']), lookupOf(docs, CUSTOMER, options.lookupField, payload));
  const contactFields = (['email_id', 'mobile_no'] as const).filter((f) => f in payload);
  const stale = contactFields.filter((f) => text(payload[f]) !== text(saved[f]));
  const primary = text(saved['customer_primary_contact']);
  if (stale.length === 0 || primary === undefined) return { ok: true, externalId: saved.name };
  const contact = await docs.get(CONTACT, primary);
  if (contact === undefined) throw new ConnectorError('retryable', 'not_found', `${options.connector} ${CUSTOMER}'s primary contact is gone; the next save of the customer makes a new one`);
  await docs.put(CONTACT, contact.name, contactTables(contact, Object.fromEntries(contactFields.map((f) => [f, payload[f]]))));
  const refreshed = await docs.put(CUSTOMER, saved.name, { customer_primary_contact: contact.name });
  return { ok: true, externalId: refreshed.name };
}

/**
 * Writes a Contact (the hub's contact entity). The payload's `email_id`, `phone` and `mobile_no` become
 * its primary `email_ids` / `phone_nos` rows and `customer` (the customer's ERPNext name) its Customer
 * row in `links`; rows of other roles and links to other doctypes stay as they are.
 */
export async function upsertContact(docs: FrappeDocs, options: ContactWriteOptions, payload: Readonly<Record<string, unknown>>, linked: string | undefined): Promise<RecordOutcome> {
  const { customer, email_id: _e, phone: _p, mobile_no: _m, name: _n, ...fields } = payload;
  const lookup = lookupOf(docs, CONTACT, options.lookupField, payload);
  let current = linked === undefined ? undefined : await docs.get(CONTACT, linked);
  if (current === undefined && lookup !== undefined) {
    const found = await lookup();
    if (found !== undefined) current = await docs.get(CONTACT, found);
  }
  const tables = contactTables(current, payload);
  if ('customer' in payload) {
    const others = rows(current?.['links']).filter((r) => r['link_doctype'] !== CUSTOMER);
    const same = rows(current?.['links']).find((r) => r['link_doctype'] === CUSTOMER && text(r['link_name']) === text(customer));
    tables['links'] = text(customer) === undefined ? others : [...others, same ?? { link_doctype: CUSTOMER, link_name: text(customer) }];
  }
  const body = { ...fields, ...tables };
  if (current !== undefined) return { ok: true, externalId: (await docs.put(CONTACT, current.name, body)).name };
  const created = await docs.create(CONTACT, body, lookup ?? (async () => undefined), (name) => docs.put(CONTACT, name, body));
  return { ok: true, externalId: created.name };
}
