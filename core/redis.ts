import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { UnavailableError } from './errors.js';

/** Where the hub looks for Redis when `REDIS_URL` is unset. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisHandle {
  readonly client: Redis;
  /** The URL in use (the private server's when one was started). */
  readonly url: string;
  /** True when the hub started its own redis-server. */
  readonly private: boolean;
  stop(): Promise<void>;
}

interface Logger {
  info(obj: object, msg: string): void;
}

async function tryConnect(url: string, timeoutMs: number): Promise<Redis | undefined> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 1, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch {
    client.disconnect();
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

/** Options for the long-lived client the hub and BullMQ share. */
function serviceClient(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  client.on('error', () => undefined); // reconnects by itself; readiness reports the outage
  return client;
}

/**
 * Connects to Redis at `url`. When nothing answers there, the URL is the local default, and a
 * `redis-server` binary is on the PATH, starts a private server (own port, data directory under
 * `dataDir`, nothing persisted) that stops with the hub. Otherwise fails with one clear line.
 */
export async function connectRedis(url: string, dataDir: string, log: Logger, localDefault: string = DEFAULT_REDIS_URL): Promise<RedisHandle> {
  const probe = await tryConnect(url, 2000);
  if (probe) {
    probe.disconnect();
    const client = serviceClient(url);
    return { client, url, private: false, stop: async () => void (await client.quit().catch(() => client.disconnect())) };
  }
  if (url !== localDefault || !onPath('redis-server')) {
    const safe = url.replace(/\/\/[^@/]*@/, '//***@');
    throw new UnavailableError(
      `Redis did not answer at ${safe}. Start Redis there, or set REDIS_URL to a reachable server` +
        (url === localDefault ? ' (or put redis-server on the PATH and the hub starts its own)' : ''),
    );
  }
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
  const privateUrl = `redis://127.0.0.1:${port}`;
  let client: Redis | undefined;
  for (let i = 0; i < 50 && !client; i++) {
    await new Promise((r) => setTimeout(r, 100));
    client = await tryConnect(privateUrl, 500);
  }
  if (!client) {
    child.kill('SIGTERM');
    throw new UnavailableError(`Redis did not answer at ${url}, and the private redis-server the hub started on port ${port} did not come up`);
  }
  client.disconnect();
  log.info({ port, dir }, `No Redis at ${url}; started a private redis-server on 127.0.0.1:${port} (stopped with the hub)`);
  const service = serviceClient(privateUrl);
  return {
    client: service,
    url: privateUrl,
    private: true,
    stop: async () => {
      await service.quit().catch(() => service.disconnect());
      child.kill('SIGTERM');
    },
  };
}
