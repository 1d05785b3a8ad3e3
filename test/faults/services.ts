import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createPool, type Pool } from 'mysql2/promise';

/**
 * The fault suite's own services: a private Redis and private MariaDB servers on free ports of
 * 127.0.0.1 with data folders under the run directory, which the scenarios may kill and restart.
 * The shared Redis (6379) and MariaDB (3306) are never touched. Every process started here runs in a
 * process group of its own and is registered, so that `killAll()` (also on exit and on SIGINT /
 * SIGTERM of the runner) leaves nothing behind.
 */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value other than undefined, or fails after `ms` naming `what`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms: number, everyMs = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    let v: T | undefined;
    try {
      v = await probe();
    } catch (error) {
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what} (last error: ${(error as Error).message})`);
    }
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- process groups

const groups = new Set<ChildProcess>();
let hooked = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** SIGKILLs every process group this module started and still runs. Synchronous (usable on exit). */
export function killAll(): void {
  for (const child of groups) killGroup(child, 'SIGKILL');
  groups.clear();
}

/** Leaves the running processes alone at exit (a post-mortem: FAULTS_KEEP_SERVERS=1). */
export function forgetAll(): void {
  for (const child of groups) child.unref();
  groups.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

export interface Spawned {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Output seen so far (capped to the last 200 kB). */
  output(): string;
}

/**
 * Spawns `command` in a process group of its own, its output appended to `logFile` and kept in
 * memory (capped). Registered for `killAll()` until it exits.
 */
export function spawnGroup(name: string, command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; logFile: string; cwd?: string }): Spawned {
  hookExit();
  const log: WriteStream = createWriteStream(options.logFile, { flags: 'a' });
  log.write(`---- ${new Date().toISOString()} start ${name}: ${command} ${args.join(' ')}\n`);
  const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  groups.add(child);
  let seen = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    log.write(text);
    seen += text;
    if (seen.length > 400_000) seen = seen.slice(-200_000);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      groups.delete(child);
      log.end(`---- ${new Date().toISOString()} ${name} exited: code ${code}, signal ${signal}\n`);
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      groups.delete(child);
      log.end(`---- ${name} failed to start: ${error.message}\n`);
      resolve({ code: -1, signal: null });
    });
  });
  return { name, child, exited, output: () => seen };
}

export function isRunning(p: Spawned | undefined): boolean {
  return p !== undefined && p.child.exitCode === null && p.child.signalCode === null;
}

/** Sends `signal` to the process group and waits for the exit; SIGKILL after `graceMs` for a SIGTERM. */
export async function stopProcess(p: Spawned | undefined, signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; forced: boolean }> {
  if (!p || !isRunning(p)) return { ...(p ? await p.exited : { code: null, signal: null }), forced: false };
  killGroup(p.child, signal);
  let forced = false;
  const timer = setTimeout(() => {
    forced = true;
    killGroup(p.child, 'SIGKILL');
  }, signal === 'SIGKILL' ? 5_000 : graceMs);
  const result = await p.exited;
  clearTimeout(timer);
  return { ...result, forced };
}

/** Resolves when `pattern` appears in the process's output; fails on exit or after `ms`. */
export async function waitForOutput(p: Spawned, pattern: RegExp, ms: number): Promise<RegExpExecArray> {
  const result = await until<RegExpExecArray | 'exited'>(`${p.name} to print ${pattern}`, () => pattern.exec(p.output()) ?? (isRunning(p) ? undefined : 'exited'), ms, 50).catch((error: Error) => {
    throw new Error(`${error.message}\n--- ${p.name} output (tail) ---\n${p.output().slice(-3000)}`);
  });
  // One more look: the line may have come with the exit.
  const m = result === 'exited' ? pattern.exec(p.output()) : result;
  if (!m) throw new Error(`${p.name} exited before it printed ${pattern}:\n${p.output().slice(-3000)}`);
  return m;
}

// ---------------------------------------------------------------- Redis

/** A private redis-server on 127.0.0.1; `aof` turns on the append-only file (fsync every second). */
export class PrivateRedis {
  private proc: Spawned | undefined;
  readonly dir: string;
  port = 0;
  constructor(root: string, readonly name: string, readonly aof: boolean) {
    this.dir = join(root, name);
    mkdirSync(this.dir, { recursive: true });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir, '--daemonize', 'no', '--protected-mode', 'yes', '--appendonly', this.aof ? 'yes' : 'no', '--appendfsync', 'everysec'];
    this.proc = spawnGroup(`redis:${this.name}`, 'redis-server', args, { logFile: join(this.dir, 'redis.log') });
    await waitForOutput(this.proc, /Ready to accept connections/, 20_000);
  }

  /** SIGKILL: whatever was not yet in the AOF (or everything, without one) is gone. */
  async kill(): Promise<void> {
    await stopProcess(this.proc, 'SIGKILL');
  }

  async stop(): Promise<void> {
    await stopProcess(this.proc, 'SIGTERM', 10_000);
  }

  running(): boolean {
    return isRunning(this.proc);
  }
}

// ---------------------------------------------------------------- MariaDB

/**
 * A private MariaDB server (root@127.0.0.1 without a password) with its data folder under the run
 * directory; `kill()` (SIGKILL, crash recovery at the next start) and `shutdown()` (a clean
 * `mysqladmin shutdown`) both keep the data folder for `start()`.
 */
export class PrivateMariadb {
  private proc: Spawned | undefined;
  readonly dir: string;
  port = 0;
  constructor(root: string, readonly name: string) {
    this.dir = join(root, name);
  }

  /** The server URL (no database), or with `database`. */
  url(database?: string): string {
    return `mysql://root@127.0.0.1:${this.port}${database ? `/${database}` : ''}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const data = join(this.dir, 'data');
    if (!existsSync(data)) {
      mkdirSync(this.dir, { recursive: true });
      const r = spawnSync('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=' + (process.env['USER'] ?? 'root')], { encoding: 'utf8', timeout: 60_000 });
      if (r.status !== 0) throw new Error(`mariadb-install-db failed (${r.status}): ${r.stderr || r.stdout}`);
    }
    const args = [
      '--no-defaults',
      `--user=${process.getuid?.() === 0 ? 'root' : (process.env['USER'] ?? 'root')}`,
      `--datadir=${data}`,
      `--port=${this.port}`,
      `--socket=${join(this.dir, 'sock')}`,
      '--bind-address=127.0.0.1',
      `--pid-file=${join(this.dir, 'pid')}`,
      '--skip-log-bin',
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=128M',
      // A commit reaches the OS at once: survives a SIGKILL of the server (not a power cut), without an fsync per commit.
      '--innodb-flush-log-at-trx-commit=2',
      '--max-connections=300',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_bin',
    ];
    this.proc = spawnGroup(`mariadb:${this.name}`, 'mariadbd', args, { logFile: join(this.dir, 'server.log') });
    await waitForOutput(this.proc, /ready for connections/, 60_000);
  }

  /** SIGKILL the server. */
  async kill(): Promise<void> {
    await stopProcess(this.proc, 'SIGKILL');
  }

  /** A clean shutdown (`mysqladmin shutdown`), as an operator stops the database. */
  async shutdown(): Promise<void> {
    if (!isRunning(this.proc)) return;
    const r = spawnSync('mysqladmin', ['--no-defaults', '-h127.0.0.1', `-P${this.port}`, '-uroot', 'shutdown'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) await stopProcess(this.proc, 'SIGTERM', 30_000);
    else await Promise.race([this.proc!.exited, sleep(60_000)]);
    if (isRunning(this.proc)) await stopProcess(this.proc, 'SIGKILL');
  }

  running(): boolean {
    return isRunning(this.proc);
  }

  /** A small pool on `database` (or the server); the caller ends it. */
  pool(database?: string, connections = 2): Pool {
    return createPool({ uri: this.url(database), connectionLimit: connections, timezone: 'Z', connectTimeout: 3000 });
  }

  async createDatabase(name: string): Promise<void> {
    const p = this.pool(undefined, 1);
    try {
      await p.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await p.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    } finally {
      await p.end();
    }
  }

  async dropDatabase(name: string): Promise<void> {
    const p = this.pool(undefined, 1);
    try {
      await p.query(`DROP DATABASE IF EXISTS \`${name}\``);
    } finally {
      await p.end();
    }
  }
}
