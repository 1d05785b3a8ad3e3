import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { HubError } from '../../core/errors.js';
import type { FeedRunRow, FeedService } from '../../queues/feeds/service.js';
import { cliActor, cliConfig, parseArgs, UsageError } from './args.js';

const USAGE = `hub feed run <feed> [--out <dir>] [--as-of YYYY-MM-DD] | hub feed list [--json] | hub feed deliver <feed> <sequence> [--out <dir>]
       hub feed verify <file> [--key <public.pem>] | hub feed decrypt <file> --key <private.pem> --out <file>`;

/**
 * The checked configuration, the store and the feeds; Redis only when the feed delivers over HTTP
 * (the queue): the default feed runs with no Redis at all.
 */
async function openFeeds(needQueue: (feeds: ReadonlyMap<string, { delivery: { http?: unknown } }>) => boolean) {
  const [{ prepareHub }, { pino }, { Store }, { KeyRing }, { FeedService }] = await Promise.all([
    import('../config/prepare.js'),
    import('pino'),
    import('../../core/store/store.js'),
    import('../../core/feeds/key-ring.js'),
    import('../../queues/feeds/service.js'),
  ]);
  const log = pino({ level: 'silent' });
  const prepared = prepareHub({ logger: log });
  await Promise.all([...prepared.connectors.values()].map((c) => c.close().catch(() => undefined)));
  const { config } = prepared;
  const store = await Store.open(config.db, config.dataDir, { sqliteSynchronous: config.sqliteSynchronous });
  let redis: import('../../core/redis.js').RedisHandle | undefined;
  try {
    if (needQueue(prepared.feeds)) redis = await (await import('../../core/redis.js')).connectRedis(config.redisUrl, config.dataDir, log);
  } catch (error) {
    await store.close();
    throw error;
  }
  const feeds: FeedService = new FeedService({ store, policy: prepared.policy, log, dataDir: config.dataDir, feeds: prepared.feeds, keys: KeyRing.of(config.dataDir), connection: redis?.client, prefix: prepared.prefix });
  return {
    feeds,
    store,
    dataDir: config.dataDir,
    close: async () => {
      await feeds.stop();
      await redis?.stop();
      await store.close();
    },
  };
}

function runLines(run: FeedRunRow, where: string): string {
  const delivery = [run.directory ? `folder ${run.directory.state}` : '', run.http ? `http ${run.http.state}` : ''].filter(Boolean).join(', ');
  return [
    `${run.feed} run ${run.sequence} as of ${run.asOf} (${run.timeZone}): ${run.records} open receivables, ${run.customerTotals} customer totals, signed by key ${run.keyId}${delivery ? `; delivery: ${delivery}` : ''}`,
    ...run.files.map((f) => `  ${where}/${f.name}\t${f.records} records\t${f.bytes} bytes\tsha256 ${f.sha256}`),
  ].join('\n');
}

/**
 * Checks before a run that `--out` is a folder the run can be written to (made when missing), so that
 * a bad folder is refused before the feed takes a sequence number, with the reason, not after.
 */
async function checkOut(out: string): Promise<void> {
  const { access, mkdir, constants } = await import('node:fs/promises');
  const target = resolve(out);
  try {
    await mkdir(target, { recursive: true });
    await access(target, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const why: Record<string, string> = { ENOTDIR: 'a part of the path is a file, not a folder', EACCES: 'is not writable', EPERM: 'is not writable', EROFS: 'is on a read-only file system', ENOENT: 'cannot be made there' };
    throw new UsageError(`--out ${out}: ${why[code] ?? code}; nothing was run`);
  }
}

async function copyOut(dataDir: string, run: FeedRunRow, out: string): Promise<string> {
  const { archivedRun, deliverToDir } = await import('../../queues/feeds/archive.js');
  const target = resolve(out);
  await deliverToDir(await archivedRun(dataDir, run), target);
  return target;
}

async function audit(store: import('../../core/store/store.js').Store, action: string, ids: string[]): Promise<void> {
  await store.audit.append({ time: new Date().toISOString(), actor: cliActor(), actorType: 'user', sourceIp: 'local', action, entity: 'feed', recordIds: ids, fields: [], outcome: 'success', status: null });
}

export async function feedCommand(argv: readonly string[]): Promise<number> {
  const sub = argv[0];
  const rest = argv.slice(1);
  switch (sub) {
    case 'run': {
      const a = parseArgs(rest, { values: ['out', 'as-of'], maxPositional: 1 }, USAGE);
      const name = a.positional[0];
      if (!name) throw new UsageError(`give the feed to run (hub feed list)\nusage: ${USAGE}`);
      const outArg = a.values.get('out');
      if (outArg !== undefined) await checkOut(outArg);
      const h = await openFeeds((feeds) => !!feeds.get(name)?.delivery.http);
      try {
        const run = await h.feeds.run(name, { asOf: a.values.get('as-of'), origin: 'cli', by: cliActor(), pointer: '--as-of' });
        await audit(h.store, 'feed.run', [name, `${name}#${run.sequence}`]);
        const out = a.values.get('out');
        const where = out ? await copyOut(h.dataDir, run, out) : (await import('../../queues/feeds/run.js')).runDir(h.dataDir, name, run.sequence!);
        process.stdout.write(runLines(run, where) + '\n');
        if (run.http) process.stderr.write('hub: the workers (hub serve or hub worker) post the run to the HTTP endpoint\n');
        return 0;
      } finally {
        await h.close();
      }
    }
    case 'deliver': {
      const a = parseArgs(rest, { values: ['out'], maxPositional: 2 }, USAGE);
      const [name, seqText] = a.positional;
      if (!name || !seqText || !/^\d{1,9}$/.test(seqText)) throw new UsageError(`give the feed and the run's sequence number\nusage: ${USAGE}`);
      const out = a.values.get('out');
      const h = await openFeeds((feeds) => !out && !!feeds.get(name)?.delivery.http);
      try {
        const feed = h.feeds.feed(name);
        const run = await h.store.feeds.get(name, Number(seqText));
        if (!run) throw new HubError('not_found', 404, `${name} has no run ${seqText} (hub feed list; GET /api/v1/feeds/${name}/runs)`);
        if (out) process.stdout.write(runLines(run, await copyOut(h.dataDir, run, out)) + '\n');
        else {
          if (!feed.delivery.dir && !feed.delivery.http) throw new UsageError(`${name} has no delivery configured (feeds.${name}.delivery); give --out <dir>`);
          await h.feeds.deliver(feed, run.sequence!);
          process.stdout.write(runLines((await h.store.feeds.get(name, run.sequence!)) ?? run, 'archive') + '\n');
        }
        await audit(h.store, 'feed.deliver', [name, `${name}#${run.sequence}`]);
        return 0;
      } finally {
        await h.close();
      }
    }
    case 'list': {
      const a = parseArgs(rest, { flags: ['json'] }, USAGE);
      const h = await openFeeds(() => false);
      try {
        const feeds = await h.feeds.list();
        if (a.flags.has('json')) process.stdout.write(JSON.stringify(feeds, null, 2) + '\n');
        else {
          process.stdout.write(['feed', 'receiver', 'formats', 'schedule', 'delivery', 'last run', 'as of', 'records', 'delivery state'].join('\t') + '\n');
          for (const f of feeds) {
            const r = f.lastRun;
            const delivery = [f.delivery.directory ? 'folder' : '', f.delivery.http ?? ''].filter(Boolean).join('+') || 'archive only';
            const state = r ? [r.directory ? `folder ${r.directory.state}` : '', r.http ? `http ${r.http.state}` : ''].filter(Boolean).join(', ') || '-' : '-';
            process.stdout.write([f.name, f.receiver, f.formats.join('+'), f.schedule ? `${f.schedule.cron} (${f.schedule.timeZone})` : '-', delivery, r ? String(r.sequence) : '-', r?.asOf ?? '-', r ? String(r.records) : '-', state].join('\t') + '\n');
          }
        }
        return 0;
      } finally {
        await h.close();
      }
    }
    case 'verify': {
      const a = parseArgs(rest, { values: ['key'], maxPositional: 1 }, USAGE);
      const file = a.positional[0];
      if (!file) throw new UsageError(`give the file to verify\nusage: ${USAGE}`);
      const keys = new Map<string, string>();
      const keyFile = a.values.get('key');
      const { keyIdOf } = await import('../../core/feeds/key-id.js');
      if (keyFile) {
        if (!existsSync(keyFile)) throw new UsageError(`--key ${keyFile}: no such file`);
        const pem = readFileSync(keyFile, 'utf8');
        try {
          keys.set(keyIdOf(pem), pem);
        } catch {
          throw new UsageError(`--key ${keyFile} is not a PEM public key`);
        }
      } else {
        const { KeyRing } = await import('../../core/feeds/key-ring.js');
        for (const k of KeyRing.of((await cliConfig()).dataDir).list()) keys.set(k.id, k.publicKey);
      }
      const { verifyFeedFile } = await import('../../core/feeds/verify.js');
      const lines = await verifyFeedFile(resolve(file), keys);
      for (const l of lines) process.stdout.write(`${l.ok ? 'ok' : 'FAILED'}\t${l.what}\t${l.detail}\n`);
      const failed = lines.filter((l) => !l.ok).length;
      process.stderr.write(failed === 0 ? 'hub: verified\n' : `hub: ${failed} check${failed === 1 ? '' : 's'} failed\n`);
      return failed === 0 ? 0 : 1;
    }
    case 'decrypt': {
      const a = parseArgs(rest, { values: ['key', 'out'], maxPositional: 1 }, USAGE);
      const file = a.positional[0];
      const keyFile = a.values.get('key');
      const out = a.values.get('out');
      if (!file || !keyFile || !out) throw new UsageError(`give the file, --key <private.pem> and --out <file>\nusage: ${USAGE}`);
      if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
      if (!existsSync(keyFile)) throw new UsageError(`--key ${keyFile}: no such file`);
      if (existsSync(out)) throw new UsageError(`--out ${out} exists; choose another name`);
      const { decryptEnvelopeFile } = await import('../../core/feeds/envelope.js');
      const { header, bytes } = await decryptEnvelopeFile(resolve(file), resolve(out), readFileSync(keyFile, 'utf8'));
      process.stdout.write(`${out}\t${header.name}\t${bytes} bytes\t${header.contentType}\n`);
      process.stderr.write('hub: decrypted and authenticated (AES-256-GCM); check the signature of the encrypted file with hub feed verify\n');
      // The manifest beside the envelope, when there is one, lists the plaintext's SHA-256 too.
      const { parseRunFileName, runFileName, parseManifest } = await import('../../core/feeds/manifest.js');
      const parsed = parseRunFileName(basename(file));
      const manifestPath = parsed ? join(dirname(resolve(file)), runFileName(parsed.feed, parsed.sequence, 'manifest.json')) : undefined;
      const entry = manifestPath && existsSync(manifestPath) ? parseManifest(readFileSync(manifestPath, 'utf8')).files.find((f) => f.name === basename(file)) : undefined;
      if (entry?.plaintextSha256) {
        const { fileSha256 } = await import('../../core/feeds/signature.js');
        const sha = await fileSha256(resolve(out));
        if (sha !== entry.plaintextSha256) {
          process.stderr.write(`hub: the decrypted file's SHA-256 ${sha} differs from the manifest's ${entry.plaintextSha256}\n`);
          return 1;
        }
        process.stderr.write('hub: its SHA-256 is the one the manifest lists\n');
      }
      return 0;
    }
    default:
      throw new UsageError(`usage: ${USAGE}`);
  }
}
