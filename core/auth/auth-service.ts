import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, TooManyRequestsError, UnauthorizedError, UnprocessableError, type FieldProblem } from '../errors.js';
import { ENTITIES, type JsonObject, type StoredRecord } from '../model/entities.js';
import type { RecordService, VersionCondition, WriteResult } from '../records/service.js';
import type { ApiKeyRow } from '../store/auth-repository.js';
import type { Store } from '../store/store.js';
import { dummyHash, hashPassword, verifyPassword } from './password.js';
import type { Principal } from './principal.js';
import type { LoginThrottle } from './throttle.js';

const TOKEN_PREFIX = 'hubt_';
const KEY_PREFIX = 'hubk_';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface LoginResult {
  readonly token: string;
  readonly expiresAt: string;
  readonly user: StoredRecord;
}

export interface AuthOptions {
  readonly tokenTtlSeconds: number;
  readonly roles: readonly string[];
}

/**
 * Users, passwords, login tokens and API keys. Tokens and key secrets are random and shown once;
 * the store keeps only their SHA-256 (they are high-entropy, so a fast hash suffices), and
 * passwords only as scrypt hashes.
 */
export class AuthService {
  constructor(
    private readonly store: Store,
    private readonly records: RecordService,
    private readonly throttle: LoginThrottle,
    private readonly options: AuthOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private checkRoles(roles: unknown, pointer = '/roles'): FieldProblem[] {
    if (!Array.isArray(roles)) return [];
    return roles.flatMap((r, i) => (typeof r === 'string' && !this.options.roles.includes(r) ? [{ pointer: `${pointer}/${i}`, detail: 'is not a configured role' }] : []));
  }

  private async checkTeam(tx: Store, teamId: unknown): Promise<FieldProblem[]> {
    if (typeof teamId !== 'string') return [];
    return (await tx.records.get(ENTITIES.team, teamId)) ? [] : [{ pointer: '/teamId', detail: 'refers to a team that does not exist' }];
  }

  async createUser(input: JsonObject, tx: Store = this.store): Promise<WriteResult> {
    const { password, ...fields } = input;
    const problems = [...this.checkRoles(fields['roles']), ...(await this.checkTeam(tx, fields['teamId']))];
    if (problems.length) throw new UnprocessableError('The user cannot be created', problems);
    const hash = await hashPassword(String(password));
    return tx.transaction(async (t) => {
      const result = await this.records.create('user', fields, t);
      await t.auth.setPassword(result.record.id, hash, result.record.updatedAt);
      return { record: result.record, fields: Object.keys(input).sort() };
    });
  }

  async updateUser(id: string, patch: JsonObject, ifMatch: VersionCondition, tx: Store = this.store): Promise<WriteResult> {
    const { password, ...fields } = patch;
    const problems = [...this.checkRoles(fields['roles']), ...(await this.checkTeam(tx, fields['teamId']))];
    if (problems.length) throw new UnprocessableError('The user cannot be changed', problems);
    const hash = typeof password === 'string' ? await hashPassword(password) : undefined;
    return tx.transaction(async (t) => {
      const result = Object.keys(fields).length > 0 ? await this.records.update('user', id, fields, ifMatch, t) : { record: await this.records.get('user', id), fields: [] as string[] };
      const touched = [...result.fields];
      if (hash) {
        await t.auth.setPassword(id, hash, this.now().toISOString());
        touched.push('password');
      }
      // A new password or a deactivation ends the user's sessions at once.
      if (hash || fields['active'] === false) await t.auth.deleteUserSessions(id);
      return { record: result.record, fields: touched.sort() };
    });
  }

  async deleteUser(id: string, ifMatch: VersionCondition, actor: Principal, tx: Store = this.store): Promise<WriteResult> {
    if (actor.type === 'user' && actor.id === id) throw new ConflictError('You cannot delete your own user', [{ pointer: '/id', detail: 'is the calling user' }]);
    return tx.transaction(async (t) => {
      const result = await this.records.remove('user', id, ifMatch, t);
      await t.auth.deleteUserSessions(id);
      return result;
    });
  }

  async login(username: string, password: string, address: string): Promise<LoginResult> {
    // The attempt is counted before the (slow) password check, so a parallel burst cannot outrun it.
    const wait = await this.throttle.reserve(username, address);
    if (wait > 0) throw new TooManyRequestsError('Too many failed logins; try again later', wait);
    const user = await this.store.records.findByNaturalKey(ENTITIES.user, username);
    const hash = user && user['active'] !== false ? await this.store.auth.passwordHash(user.id) : undefined;
    const ok = await verifyPassword(password, hash ?? (await dummyHash()));
    if (!user || !hash || !ok) throw new UnauthorizedError('Invalid username or password');
    await this.throttle.reset(username, address);
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now.getTime() + this.options.tokenTtlSeconds * 1000).toISOString();
    await this.store.auth.createSession(sha256(token), user.id, now.toISOString(), expiresAt);
    return { token, expiresAt, user };
  }

  async logout(token: string): Promise<void> {
    await this.store.auth.deleteSession(sha256(token));
  }

  /** The principal behind a bearer token or API key, or an UnauthorizedError. */
  async authenticate(bearer: string): Promise<Principal> {
    const now = this.now().toISOString();
    if (bearer.startsWith(TOKEN_PREFIX)) {
      const session = await this.store.auth.session(sha256(bearer), now);
      const user = session ? await this.store.records.get(ENTITIES.user, session.userId) : undefined;
      if (!user || user['active'] === false) throw new UnauthorizedError('The token is invalid or has expired');
      return userPrincipal(user);
    }
    if (bearer.startsWith(KEY_PREFIX)) {
      const key = await this.store.auth.apiKeyBySecretHash(sha256(bearer));
      if (!key || key.revokedAt || (key.expiresAt && key.expiresAt <= now)) throw new UnauthorizedError('The API key is invalid, revoked or expired');
      await this.store.auth.touchApiKey(key.id, now);
      return { type: 'apikey', id: key.id, username: null, displayName: key.name, roles: key.roles, teamId: null };
    }
    throw new UnauthorizedError('The bearer credential is not a hub token or API key');
  }

  async createApiKey(input: { name: string; roles: readonly string[]; expiresAt?: string | null }, createdBy: string, tx: Store = this.store): Promise<ApiKeyRow & { secret: string }> {
    const problems = this.checkRoles(input.roles);
    if (input.expiresAt && input.expiresAt <= this.now().toISOString()) problems.push({ pointer: '/expiresAt', detail: 'must be in the future' });
    if (problems.length) throw new UnprocessableError('The API key cannot be created', problems);
    const secret = KEY_PREFIX + randomBytes(32).toString('base64url');
    const key: ApiKeyRow = {
      id: randomUUID(),
      name: input.name,
      prefix: secret.slice(0, KEY_PREFIX.length + 6),
      roles: [...input.roles],
      createdBy,
      createdAt: this.now().toISOString(),
      expiresAt: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
      lastUsedAt: null,
      revokedAt: null,
    };
    await tx.auth.createApiKey(key, sha256(secret));
    return { ...key, secret };
  }

  async revokeApiKey(id: string): Promise<void> {
    if (!(await this.store.auth.revokeApiKey(id, this.now().toISOString()))) throw new NotFoundError();
  }

  /** Creates the `admin` user when there is none; returns the password when it was generated. */
  async ensureAdmin(password: string): Promise<boolean> {
    if (await this.store.records.findByNaturalKey(ENTITIES.user, 'admin')) return false;
    await this.createUser({ username: 'admin', displayName: 'Administrator', roles: ['admin'], active: true, password });
    return true;
  }
}

export function userPrincipal(user: StoredRecord): Principal {
  return {
    type: 'user',
    id: user.id,
    username: typeof user['username'] === 'string' ? user['username'] : null,
    displayName: typeof user['displayName'] === 'string' ? user['displayName'] : null,
    roles: Array.isArray(user['roles']) ? user['roles'].filter((r): r is string => typeof r === 'string') : [],
    teamId: typeof user['teamId'] === 'string' ? user['teamId'] : null,
  };
}
