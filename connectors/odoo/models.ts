/**
 * The Odoo models the connector reads and writes, as data: which fields (with their Odoo types, which
 * decide how a value is read and written), which records (a fixed domain), how a retried create finds
 * an earlier try's record, and what marks a record withdrawn.
 *
 * Field names follow Odoo 17–19 (addons/sale sale_order.py / sale_order_line.py, addons/account
 * account_move.py / account_payment.py, addons/stock stock_quant.py, addons/product, base res_partner.py);
 * only fields present in all three are read.
 */

export const ODOO_FIELD_TYPES = ['char', 'text', 'html', 'integer', 'float', 'monetary', 'boolean', 'date', 'datetime', 'selection', 'many2one', 'one2many', 'many2many'] as const;
export type OdooFieldType = (typeof ODOO_FIELD_TYPES)[number];

export interface OdooField {
  readonly type: OdooFieldType;
  /** many2one: the related model. */
  readonly relation?: string;
  /**
   * many2one written by a code instead of an id (`DE` for a country): the related model's field that
   * holds it. Looked up once per value and remembered.
   */
  readonly byCode?: string;
}

/** What marks a read record withdrawn (a delete, for sources with `deletes` on). */
export type OdooDeleted = { readonly field: string; readonly values: readonly (string | boolean)[] };

export interface OdooEntity {
  /** The Odoo model. */
  readonly model: string;
  readonly fields: Readonly<Record<string, OdooField>>;
  /** Which records of the model the entity is: ANDed with every read. */
  readonly domain: readonly unknown[];
  /** Context of every call (`active_test: false` reads archived records too). */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Extra context of a create (`res_partner_search_mode: customer` sets customer_rank 1). */
  readonly createContext?: Readonly<Record<string, unknown>>;
  /** Written records: the payload field a create first looks a record up by (absent: read only). */
  readonly lookupField?: string;
  /** What narrows that lookup to the entity's kind of record (a customer's ref is not a contact's). */
  readonly lookupDomain?: readonly unknown[];
  readonly naturalKeys: readonly string[];
  readonly deleted?: OdooDeleted;
  /** `delete()` archives (`active` false) rather than removing. */
  readonly archive?: boolean;
  /** The one2many field holding order lines, read whole from `lines.model` and written as commands. */
  readonly lines?: { readonly field: string; readonly model: string; readonly fields: Readonly<Record<string, OdooField>> };
  /** Stock: quants summed per product and location. */
  readonly perLocation?: boolean;
}

const m2o = (relation: string, byCode?: string): OdooField => (byCode === undefined ? { type: 'many2one', relation } : { type: 'many2one', relation, byCode });
const F = (type: OdooFieldType): OdooField => ({ type });

const PARTNER_FIELDS = {
  id: F('integer'),
  name: F('char'),
  ref: F('char'),
  is_company: F('boolean'),
  vat: F('char'),
  email: F('char'),
  phone: F('char'),
  website: F('char'),
  street: F('char'),
  street2: F('char'),
  city: F('char'),
  zip: F('char'),
  country_id: m2o('res.country', 'code'),
  country_code: F('char'),
  parent_id: m2o('res.partner'),
  function: F('char'),
  type: F('selection'),
  active: F('boolean'),
  customer_rank: F('integer'),
  write_date: F('datetime'),
} as const;

export const ORDER_LINE_FIELDS = {
  id: F('integer'),
  sequence: F('integer'),
  display_type: F('selection'),
  product_id: m2o('product.product'),
  name: F('text'),
  product_uom_qty: F('float'),
  price_unit: F('float'),
  discount: F('float'),
  price_subtotal: F('monetary'),
} as const;

/** The external entities, by name (as mapping files' `externalEntity`). */
export const ODOO_ENTITIES: Readonly<Record<string, OdooEntity>> = Object.freeze({
  // Customers: companies and individuals without a parent, with a customer rank (made by a sale,
  // an invoice, or created as a customer: the connector creates with res_partner_search_mode customer).
  'res.partner': {
    model: 'res.partner',
    fields: PARTNER_FIELDS,
    domain: [['parent_id', '=', false], ['customer_rank', '>', 0]],
    context: { active_test: false },
    createContext: { res_partner_search_mode: 'customer' },
    lookupField: 'ref',
    lookupDomain: [['parent_id', '=', false]],
    naturalKeys: ['ref', 'vat'],
    archive: true,
  },
  // Contacts: the people of a customer (res.partner children of type contact).
  'res.partner/contact': {
    model: 'res.partner',
    fields: PARTNER_FIELDS,
    domain: [['parent_id', '!=', false], ['type', '=', 'contact']],
    context: { active_test: false },
    lookupField: 'ref',
    lookupDomain: [['parent_id', '!=', false]],
    naturalKeys: ['ref', 'email'],
    deleted: { field: 'active', values: [false] },
    archive: true,
  },
  'product.product': {
    model: 'product.product',
    fields: {
      id: F('integer'),
      default_code: F('char'),
      name: F('char'),
      description_sale: F('text'),
      list_price: F('float'),
      standard_price: F('float'),
      barcode: F('char'),
      uom_id: m2o('uom.uom'),
      sale_ok: F('boolean'),
      active: F('boolean'),
      write_date: F('datetime'),
    },
    domain: [],
    context: { active_test: false },
    lookupField: 'default_code',
    naturalKeys: ['default_code', 'barcode'],
    archive: true,
  },
  // Stock on hand in internal locations, summed per product and location (lots and packages split
  // a product's stock in a location over several quants).
  'stock.quant': {
    model: 'stock.quant',
    fields: { id: F('integer'), product_id: m2o('product.product'), location_id: m2o('stock.location'), quantity: F('float'), reserved_quantity: F('float'), write_date: F('datetime') },
    domain: [['location_id.usage', '=', 'internal']],
    naturalKeys: ['product_id', 'location_id'],
    perLocation: true,
  },
  'sale.order': {
    model: 'sale.order',
    fields: {
      id: F('integer'),
      name: F('char'),
      client_order_ref: F('char'),
      partner_id: m2o('res.partner'),
      date_order: F('datetime'),
      commitment_date: F('datetime'),
      validity_date: F('date'),
      state: F('selection'),
      currency_id: m2o('res.currency', 'name'),
      payment_term_id: m2o('account.payment.term'),
      amount_untaxed: F('monetary'),
      amount_tax: F('monetary'),
      amount_total: F('monetary'),
      order_line: F('one2many'),
      write_date: F('datetime'),
    },
    domain: [],
    lookupField: 'client_order_ref',
    naturalKeys: ['client_order_ref', 'name'],
    lines: { field: 'order_line', model: 'sale.order.line', fields: ORDER_LINE_FIELDS },
  },
  // Customer invoices and credit notes that are, or were, posted: a draft never posted is owed by
  // nobody; one cancelled or reset to draft after posting is withdrawn (not posted: deleted).
  'account.move': {
    model: 'account.move',
    fields: {
      id: F('integer'),
      name: F('char'),
      move_type: F('selection'),
      state: F('selection'),
      partner_id: m2o('res.partner'),
      commercial_partner_id: m2o('res.partner'),
      invoice_date: F('date'),
      invoice_date_due: F('date'),
      currency_id: m2o('res.currency'),
      amount_untaxed: F('monetary'),
      amount_tax: F('monetary'),
      amount_total: F('monetary'),
      amount_residual: F('monetary'),
      amount_total_in_currency_signed: F('monetary'),
      payment_state: F('selection'),
      invoice_origin: F('char'),
      ref: F('char'),
      write_date: F('datetime'),
    },
    domain: [['move_type', 'in', ['out_invoice', 'out_refund']], '|', ['state', 'in', ['posted', 'cancel']], ['posted_before', '=', true]],
    naturalKeys: ['name'],
    deleted: { field: 'state', values: ['draft', 'cancel'] },
  },
  // Money received from customers; a draft is not read, a cancelled or rejected one is withdrawn.
  'account.payment': {
    model: 'account.payment',
    fields: {
      id: F('integer'),
      name: F('char'),
      payment_type: F('selection'),
      partner_type: F('selection'),
      partner_id: m2o('res.partner'),
      amount: F('monetary'),
      currency_id: m2o('res.currency'),
      date: F('date'),
      state: F('selection'),
      payment_reference: F('char'),
      payment_method_code: F('char'),
      journal_id: m2o('account.journal'),
      reconciled_invoice_ids: F('many2many'),
      write_date: F('datetime'),
    },
    domain: [['payment_type', '=', 'inbound'], ['partner_type', '=', 'customer'], ['state', '!=', 'draft']],
    naturalKeys: ['name'],
    deleted: { field: 'state', values: ['cancel', 'canceled', 'rejected'] },
  },
});

/** The fields a read asks for (order lines come separately). */
export function readFields(entity: OdooEntity): string[] {
  return Object.keys(entity.fields);
}
