import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Connector } from '../connectors/contract.js';
import { HubError } from '../core/errors.js';

/** The last `check()` of a connector: reachable with its credentials or not, when, and why not. */
export interface ConnectorCheck {
  readonly ok: boolean;
  /** When the check finished (ISO 8601). */
  readonly checkedAt: string;
  /** Why it failed: the connector error's code (`connector_unauthorized` …) and its message (no secret, no value). */
  readonly error?: { readonly code: string; readonly message: string };
}

/** A check that has not answered by then fails as `check_timeout`. */
export const CHECK_TIMEOUT_MS = 30_000;

/**
 * Runs connectors' `check()` (at the workers' start, and on demand: `POST
 * /api/v1/sync/connectors/{id}/check`) and keeps the last result of each in Redis, so the status of
 * every process shows it (`ConnectorStatus.check`). A check is one cheap request per connector (the
 * HTTP connectors' check path, `SELECT 1`); nothing runs on a schedule.
 */
export class ConnectorChecks {
  constructor(
    private readonly connectors: ReadonlyMap<string, Connector>,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly timeoutMs = CHECK_TIMEOUT_MS,
  ) {}

  private get key(): string {
    return `${this.prefix}:sync:checks`;
  }

  has(name: string): boolean {
    return this.connectors.has(name);
  }

  /** Checks the connector `name` (which must exist) now, and records the result. */
  async run(name: string): Promise<ConnectorCheck> {
    const connector = this.connectors.get(name);
    if (!connector) throw new Error(`no connector ${name}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HubError('check_timeout', 504, `${name} did not answer its check within ${this.timeoutMs / 1000} s`)), this.timeoutMs);
      timer.unref();
    });
    let result: ConnectorCheck;
    try {
      await Promise.race([connector.check(), timeout]);
      result = { ok: true, checkedAt: new Date().toISOString() };
    } catch (error) {
      // A HubError's message names no secret and no value; anything else is reported by its kind only.
      const e = error instanceof HubError ? { code: error.code, message: error.message.replace(/\s+/g, ' ').slice(0, 300) } : { code: 'check_failed', message: `${name} failed its check (${error instanceof Error ? error.name : typeof error})` };
      result = { ok: false, checkedAt: new Date().toISOString(), error: e };
      this.log.warn({ connector: name, code: e.code }, `connector ${name} failed its check: ${e.code}`);
    } finally {
      clearTimeout(timer);
    }
    await this.redis.hset(this.key, name, JSON.stringify(result)).catch(() => undefined);
    return result;
  }

  /** Checks `names` at once; never throws (each result is recorded). */
  async runAll(names: readonly string[]): Promise<void> {
    await Promise.all(names.filter((n) => this.connectors.has(n)).map((n) => this.run(n).catch(() => undefined)));
  }

  /** The last recorded check of each connector that has one. */
  async last(): Promise<Map<string, ConnectorCheck>> {
    const out = new Map<string, ConnectorCheck>();
    const h = await this.redis.hgetall(this.key);
    for (const [name, json] of Object.entries(h)) {
      try {
        out.set(name, JSON.parse(json) as ConnectorCheck);
      } catch {
        // A value this version did not write: no check to show.
      }
    }
    return out;
  }
}
