import { api, type Schemas } from './api.js';
import { signal } from './state.js';

/** What the signed-in user may do, per entity (GET /api/v1/auth/me/permissions); the server checks every request anyway. */
export type EntityPermissions = Schemas['MyPermissions']['entities'][number];
export type Entity = EntityPermissions['entity'];

export const permissions = signal<Readonly<Record<string, EntityPermissions>> | undefined>(undefined);

export async function loadPermissions(): Promise<void> {
  const { data } = await api.GET('/api/v1/auth/me/permissions');
  permissions.set(data ? Object.fromEntries(data.entities.map((e) => [e.entity, e])) : {});
}

export function may(entity: Entity, action: 'read' | 'create' | 'delete'): boolean {
  return permissions.get()?.[entity]?.[action] ?? false;
}

/** Whether the user may write `field` of `entity` (at least on some records). */
export function mayWrite(entity: Entity, field: string): boolean {
  return permissions.get()?.[entity]?.write.includes(field) ?? false;
}
