/**
 * The canonical entities and how the store indexes them. The wire shape of each entity is defined
 * once in `openapi/openapi.yaml`; this file only says which fields the store keeps in indexed
 * columns (for filters, sorting, search and row scopes) and which fields form the natural key.
 */
export const ENTITY_NAMES = ['customer', 'contact', 'product', 'inventory', 'order', 'receivable', 'payment'] as const;
export type EntityName = (typeof ENTITY_NAMES)[number];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A canonical record as stored: the entity's fields plus `id`, `version`, `createdAt`, `updatedAt`. */
export interface StoredRecord extends JsonObject {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** Everything the record store keeps: the canonical entities plus users and teams. */
export const RECORD_KINDS = [...ENTITY_NAMES, 'user', 'team'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export interface EntityDef {
  readonly name: RecordKind;
  /** Whether changes are written to the outbox for the sync engine (canonical entities only). */
  readonly synced: boolean;
  /** Path segment under `/api/v1` and prefix of operation ids. */
  readonly plural: string;
  /** Singular name used in operation ids (`getCustomer`). */
  readonly typeName: string;
  readonly table: string;
  /** Indexed columns: column name → canonical field. `updated_at`/`created_at` exist on every table. */
  readonly columns: Readonly<Record<string, string>>;
  /** Fields whose joined values must be unique among live records (the natural key), if any. */
  readonly naturalKey: readonly string[];
  /** Fields a list can be sorted by (besides `createdAt`, `updatedAt`). */
  readonly sortable: readonly string[];
  /** Fields `q` searches (case-insensitive substring). */
  readonly search: readonly string[];
  /** Query parameters that filter by equality, parameter → field. */
  readonly filters: readonly string[];
  /** Date fields a list filters by range: `<field>From` and `<field>To`, both inclusive. */
  readonly rangeFilters?: readonly string[];
}


const def = (d: Omit<EntityDef, 'synced'>): EntityDef => Object.freeze({ ...d, synced: d.name !== 'user' && d.name !== 'team' });

export const ENTITIES: Readonly<Record<RecordKind, EntityDef>> = Object.freeze({
  customer: def({
    name: 'customer', plural: 'customers', typeName: 'Customer', table: 'hub_customers',
    columns: { code: 'code', name: 'name', owner_id: 'ownerId', team_id: 'teamId', status: 'status', tax_id: 'taxId', email: 'email' },
    naturalKey: ['code'], sortable: ['code', 'name', 'status'], search: ['code', 'name', 'email', 'taxId'],
    filters: ['ownerId', 'teamId', 'status'],
  }),
  contact: def({
    name: 'contact', plural: 'contacts', typeName: 'Contact', table: 'hub_contacts',
    columns: { customer_id: 'customerId', last_name: 'lastName', owner_id: 'ownerId', team_id: 'teamId' },
    naturalKey: [], sortable: ['lastName'], search: ['firstName', 'lastName', 'email'],
    filters: ['ownerId', 'teamId', 'customerId'],
  }),
  product: def({
    name: 'product', plural: 'products', typeName: 'Product', table: 'hub_products',
    columns: { sku: 'sku', name: 'name', active: 'active' },
    naturalKey: ['sku'], sortable: ['sku', 'name'], search: ['sku', 'name'],
    filters: ['active'],
  }),
  inventory: def({
    name: 'inventory', plural: 'inventory', typeName: 'InventoryLevel', table: 'hub_inventory_levels',
    columns: { product_id: 'productId', warehouse: 'warehouse' },
    naturalKey: ['productId', 'warehouse'], sortable: ['warehouse'], search: [],
    filters: ['productId', 'warehouse'],
  }),
  order: def({
    name: 'order', plural: 'orders', typeName: 'Order', table: 'hub_orders',
    columns: { number: 'number', customer_id: 'customerId', owner_id: 'ownerId', team_id: 'teamId', status: 'status', order_date: 'orderDate' },
    naturalKey: ['number'], sortable: ['number', 'orderDate', 'status'], search: ['number'],
    filters: ['ownerId', 'teamId', 'customerId', 'status'], rangeFilters: ['orderDate'],
  }),
  receivable: def({
    name: 'receivable', plural: 'receivables', typeName: 'Receivable', table: 'hub_receivables',
    columns: { number: 'number', customer_id: 'customerId', owner_id: 'ownerId', team_id: 'teamId', status: 'status', due_date: 'dueDate' },
    naturalKey: ['number'], sortable: ['number', 'dueDate', 'status'], search: ['number'],
    filters: ['ownerId', 'teamId', 'customerId', 'status'], rangeFilters: ['dueDate'],
  }),
  payment: def({
    name: 'payment', plural: 'payments', typeName: 'Payment', table: 'hub_payments',
    columns: { customer_id: 'customerId', receivable_id: 'receivableId', owner_id: 'ownerId', team_id: 'teamId', date: 'date' },
    naturalKey: [], sortable: ['date'], search: ['reference'],
    filters: ['ownerId', 'teamId', 'customerId'], rangeFilters: ['date'],
  }),
  user: def({
    name: 'user', plural: 'users', typeName: 'User', table: 'hub_users',
    columns: { username: 'username', team_id: 'teamId', display_name: 'displayName' },
    naturalKey: ['username'], sortable: ['username', 'displayName'], search: ['username', 'displayName', 'email'],
    filters: ['teamId'],
  }),
  team: def({
    name: 'team', plural: 'teams', typeName: 'Team', table: 'hub_teams',
    columns: { name: 'name', parent_team_id: 'parentTeamId' },
    naturalKey: [], sortable: ['name'], search: ['name'],
    filters: ['parentTeamId'],
  }),
});

/** Column of a field in an entity's table, or undefined when the field is not indexed. */
export function columnOf(entity: EntityDef, field: string): string | undefined {
  if (field === 'updatedAt') return 'updated_at';
  if (field === 'createdAt') return 'created_at';
  if (field === 'id') return 'id';
  for (const [column, f] of Object.entries(entity.columns)) if (f === field) return column;
  return undefined;
}
