import { cliConfig, parseArgs, UsageError } from './args.js';

const USAGE = 'hub keys public | hub keys rotate | hub keys list';

/**
 * `hub keys`: the feed signing keys in the data dir (no store, no Redis). `public` prints the current
 * public key (making the first key on first use), `rotate` makes a new current key (the old ones stay
 * listed for verification), `list` shows every key. Never prints a private key.
 */
export async function keysCommand(argv: readonly string[]): Promise<number> {
  const sub = argv[0];
  parseArgs(argv.slice(1), {}, USAGE);
  const config = await cliConfig();
  const { KeyRing } = await import('../../core/feeds/key-ring.js');
  const ring = KeyRing.of(config.dataDir);
  switch (sub) {
    case 'public': {
      const key = ring.current();
      process.stdout.write(key.publicKey.endsWith('\n') ? key.publicKey : `${key.publicKey}\n`);
      process.stderr.write(`hub: key ${key.id} (verify: openssl dgst -sha256 -verify <this.pem> -signature <file>.sig <file>)\n`);
      return 0;
    }
    case 'rotate': {
      const before = ring.list().find((k) => k.current);
      const key = ring.rotate();
      process.stdout.write(`${key.id}\n`);
      process.stderr.write(`hub: ${key.id} signs new feed runs${before ? `; ${before.id} stays listed for verifying older runs` : ''} (GET /api/v1/feeds/keys)\n`);
      return 0;
    }
    case 'list': {
      process.stdout.write(['id', 'created', 'bits', 'current'].join('\t') + '\n');
      for (const k of ring.list()) process.stdout.write([k.id, k.createdAt, String(k.bits), k.current ? 'current' : ''].join('\t') + '\n');
      return 0;
    }
    default:
      throw new UsageError(`usage: ${USAGE}`);
  }
}
