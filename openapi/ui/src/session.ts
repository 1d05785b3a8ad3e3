import { api, whenUnauthorized, type Principal } from './api.js';
import { loadPermissions, permissions } from './permissions.js';
import { signal } from './state.js';

/**
 * Who is signed in. `undefined` while the hub is asked, `null` when nobody is (or the session
 * ended: `expired` says so, and the page the user was on stays in the address bar).
 */
export const user = signal<Principal | null | undefined>(undefined);
export const expired = signal(false);

whenUnauthorized(() => {
  if (user.get()) expired.set(true);
  user.set(null);
});

/** Asks the hub who is signed in, when a session cookie was set (the readable `hub_signed_in` marker). */
export async function loadUser(): Promise<void> {
  if (!/(?:^|;\s*)hub_signed_in=1/.test(document.cookie)) {
    user.set(null);
    return;
  }
  const { data } = await api.GET('/api/v1/auth/me');
  if (data) await loadPermissions();
  user.set(data ?? null);
}

export async function signIn(username: string, password: string) {
  const result = await api.POST('/api/v1/auth/session', { body: { username, password } });
  if (result.data) {
    await loadPermissions();
    expired.set(false);
    user.set(result.data.user);
  }
  return result;
}

export async function signOut(): Promise<void> {
  // Only a session the server ended (204) or no longer knows (401) is over; otherwise the cookie and the
  // server's session would outlive what the page shows (a shared computer's next user would be signed in).
  const { response } = await api.DELETE('/api/v1/auth/session');
  if (response.status !== 204 && response.status !== 401) throw new Error(`Signing out failed (HTTP ${response.status})`);
  expired.set(false);
  permissions.set(undefined);
  user.set(null);
}

export function hasRole(p: Principal | null | undefined, ...roles: string[]): boolean {
  return !!p && p.roles.some((r) => roles.includes(r));
}
