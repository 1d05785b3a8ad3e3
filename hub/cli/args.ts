import { userInfo } from 'node:os';
import { CodedError } from '../../core/errors.js';
import type { Hub } from '../create-hub.js';

/** A wrong command line: exit code 2 with the message. */
export class UsageError extends CodedError {
  constructor(message: string) {
    super('usage', message);
  }
}

export interface ParsedArgs {
  readonly positional: string[];
  readonly values: Map<string, string>;
  readonly flags: Set<string>;
}

export interface ArgSpec {
  /** Options that take a value: `--name value` or `--name=value`. */
  readonly values?: readonly string[];
  /** Switches: `--name`. */
  readonly flags?: readonly string[];
  /** How many positional arguments are allowed (default none). */
  readonly maxPositional?: number;
}

/** Parses `--name value` options, `--flag` switches and positional arguments, refusing anything else. */
export function parseArgs(argv: readonly string[], spec: ArgSpec, usage: string): ParsedArgs {
  const positional: string[] = [];
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const allowedValues = spec.values ?? [];
  const allowedFlags = spec.flags ?? [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option ${arg}\nusage: ${usage}`);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (allowedFlags.includes(name) && eq < 0) flags.add(name);
    else if (allowedValues.includes(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value\nusage: ${usage}`);
      values.set(name, value);
    } else throw new UsageError(`unknown option ${arg}\nusage: ${usage}`);
  }
  const max = spec.maxPositional ?? 0;
  if (positional.length > max) throw new UsageError(`unexpected argument ${positional[max]}\nusage: ${usage}`);
  return { positional, values, flags };
}

export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], what: string, usage: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${what} must be one of ${allowed.join(', ')}\nusage: ${usage}`);
  return value as T;
}

/** Who the CLI acts as, in the audit trail and on resolved dead letters and conflicts. */
export function cliActor(): string {
  let name = process.env['USER'] ?? process.env['LOGNAME'] ?? 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (containers): keep the environment's name
  }
  return `cli:${name}`;
}

export async function auditCli(hub: Hub, action: string, entity: string | null, recordIds: string[], fields: string[]): Promise<void> {
  await hub.store.audit.append({ time: new Date().toISOString(), actor: cliActor(), actorType: 'user', sourceIp: 'local', action, entity, recordIds, fields, outcome: 'success', status: null });
}

/**
 * A hub for a one-shot command: store, Redis and the sync engine's queues, but no workers, no relay,
 * no HTTP surface, no first admin; a silent logger.
 */
export async function startCliHub(): Promise<Hub> {
  const [{ createHub }, { pino }] = await Promise.all([import('../create-hub.js'), import('pino')]);
  const hub = createHub({ runWorkers: false, serveApi: false, bootstrap: false, logger: pino({ level: 'silent' }) });
  await hub.start();
  return hub;
}

/** The configuration alone (file and environment, checked), for commands that need nothing more. */
export async function cliConfig() {
  const { loadConfig } = await import('../config/load.js');
  return loadConfig();
}
