import type { Db } from './database.js';

export interface ApiKeyRow {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly roles: readonly string[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

interface ApiKeyDbRow {
  id: string;
  name: string;
  prefix: string;
  roles: string;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

function toApiKey(r: ApiKeyDbRow): ApiKeyRow {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    roles: JSON.parse(r.roles) as string[],
    createdBy: r.created_by,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

/** Password hashes, login sessions and API keys. Only hashes of secrets are stored. */
export class AuthRepository {
  constructor(private readonly db: Db) {}

  async setPassword(userId: string, hash: string, at: string): Promise<void> {
    const updated = await this.db.updateTable('hub_credentials').set({ password_hash: hash, updated_at: at }).where('user_id', '=', userId).executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) {
      await this.db.insertInto('hub_credentials').values({ user_id: userId, password_hash: hash, updated_at: at }).execute();
    }
  }

  async passwordHash(userId: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('hub_credentials').select('password_hash').where('user_id', '=', userId).executeTakeFirst();
    return row ? String(row['password_hash']) : undefined;
  }

  async createSession(tokenHash: string, userId: string, createdAt: string, expiresAt: string): Promise<void> {
    await this.db.insertInto('hub_sessions').values({ token_hash: tokenHash, user_id: userId, created_at: createdAt, expires_at: expiresAt }).execute();
  }

  async session(tokenHash: string, now: string): Promise<{ userId: string; expiresAt: string } | undefined> {
    const row = await this.db.selectFrom('hub_sessions').select(['user_id', 'expires_at']).where('token_hash', '=', tokenHash).where('expires_at', '>', now).executeTakeFirst();
    return row ? { userId: String(row['user_id']), expiresAt: String(row['expires_at']) } : undefined;
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('hub_sessions').where('token_hash', '=', tokenHash).execute();
  }

  async deleteUserSessions(userId: string): Promise<void> {
    await this.db.deleteFrom('hub_sessions').where('user_id', '=', userId).execute();
  }

  async purgeExpiredSessions(now: string): Promise<number> {
    const r = await this.db.deleteFrom('hub_sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async createApiKey(key: ApiKeyRow, secretHash: string): Promise<void> {
    await this.db
      .insertInto('hub_api_keys')
      .values({
        id: key.id,
        name: key.name,
        prefix: key.prefix,
        secret_hash: secretHash,
        roles: JSON.stringify(key.roles),
        created_by: key.createdBy,
        created_at: key.createdAt,
        expires_at: key.expiresAt,
        last_used_at: null,
        revoked_at: null,
      })
      .execute();
  }

  async apiKeyBySecretHash(secretHash: string): Promise<ApiKeyRow | undefined> {
    const row = (await this.db.selectFrom('hub_api_keys').selectAll().where('secret_hash', '=', secretHash).executeTakeFirst()) as ApiKeyDbRow | undefined;
    return row ? toApiKey(row) : undefined;
  }

  async apiKey(id: string): Promise<ApiKeyRow | undefined> {
    const row = (await this.db.selectFrom('hub_api_keys').selectAll().where('id', '=', id).executeTakeFirst()) as ApiKeyDbRow | undefined;
    return row ? toApiKey(row) : undefined;
  }

  /** Live (not revoked) keys ordered by creation, after `afterId` when given. */
  async listApiKeys(limit: number, after?: { createdAt: string; id: string }): Promise<ApiKeyRow[]> {
    let q = this.db.selectFrom('hub_api_keys').selectAll().where('revoked_at', 'is', null);
    if (after) q = q.where((eb) => eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])]));
    const rows = (await q.orderBy('created_at').orderBy('id').limit(limit).execute()) as ApiKeyDbRow[];
    return rows.map(toApiKey);
  }

  async touchApiKey(id: string, at: string): Promise<void> {
    await this.db.updateTable('hub_api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  async revokeApiKey(id: string, at: string): Promise<boolean> {
    const r = await this.db.updateTable('hub_api_keys').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}
