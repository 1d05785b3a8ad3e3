/** Who is calling: a user, an API key, or the hub itself (demo data, sync). */
export const PRINCIPAL_TYPES = ['user', 'apikey', 'system'] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

export interface Principal {
  readonly type: PrincipalType;
  readonly id: string;
  readonly username: string | null;
  readonly displayName: string | null;
  readonly roles: readonly string[];
  readonly teamId: string | null;
}

/** The name the audit trail records for a principal. */
export function actorName(p: Principal | undefined): string {
  if (!p) return 'anonymous';
  if (p.type === 'user') return p.username ?? p.id;
  return `${p.type}:${p.id}`;
}

export function hasRole(p: Principal, ...roles: string[]): boolean {
  return roles.some((r) => p.roles.includes(r));
}

export const SYSTEM_PRINCIPAL: Principal = Object.freeze({
  type: 'system',
  id: 'hub',
  username: null,
  displayName: 'Hub',
  roles: Object.freeze(['admin']),
  teamId: null,
});
