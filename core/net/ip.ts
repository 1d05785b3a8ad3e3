import { BlockList, isIP } from 'node:net';

/**
 * Address matching for `security.allowedCidrs` and `security.trustedProxies`. IPv4-mapped IPv6
 * addresses (`::ffff:10.0.0.1`) are treated as the IPv4 address they carry.
 */
export function normalizeIp(address: string): string {
  let a = address.trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a);
  if (mapped?.[1]) return mapped[1];
  return a;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a single address; undefined when invalid. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [rawAddress, rawPrefix, extra] = text.trim().split('/');
  if (rawAddress === undefined || extra !== undefined) return undefined;
  const address = normalizeIp(rawAddress);
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  if (rawPrefix !== undefined && !/^\d{1,3}$/.test(rawPrefix)) return undefined;
  const prefix = rawPrefix === undefined ? max : Number(rawPrefix);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** A set of CIDR ranges that answers whether an address falls in one of them. */
export class CidrSet {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(cidrs: readonly string[]) {
    for (const text of cidrs) {
      const c = parseCidr(text);
      if (!c) throw new Error(`invalid CIDR: ${text}`);
      this.list.addSubnet(c.address, c.prefix, c.family);
    }
    this.size = cidrs.length;
  }

  has(address: string): boolean {
    const a = normalizeIp(address);
    const version = isIP(a);
    if (version === 0) return false;
    return this.list.check(a, version === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * The client's address: the TCP peer, unless the peer is a trusted proxy, in which case the
 * `X-Forwarded-For` chain is walked from the right, skipping trusted proxies, and the first
 * untrusted hop is the client. A forged header from an untrusted peer is ignored.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: CidrSet): string {
  let current = normalizeIp(peer ?? '');
  if (!current) return 'unknown';
  if (trusted.size === 0 || !trusted.has(current) || forwardedFor === undefined) return current;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((h) => normalizeIp(h))
    .filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (isIP(hop) === 0) return current; // garbage in the chain: stop at the last address we trust to be real
    current = hop;
    if (!trusted.has(hop)) return hop;
  }
  return current;
}
