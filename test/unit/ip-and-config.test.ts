import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../hub/config/load.js';
import { ConfigError } from '../../core/errors.js';
import { CidrSet, clientAddress, normalizeIp, parseCidr } from '../../core/net/ip.js';

describe('client address and CIDR matching', () => {
  const none = new CidrSet([]);
  const proxies = new CidrSet(['10.0.0.1', 'fd00::/8']);

  it('handles IPv4, IPv6 and IPv4-mapped IPv6', () => {
    const set = new CidrSet(['192.168.0.0/16', '2001:db8::/32']);
    expect(set.has('192.168.4.2')).toBe(true);
    expect(set.has('::ffff:192.168.4.2')).toBe(true);
    expect(set.has('2001:db8:1::5')).toBe(true);
    expect(set.has('192.169.0.1')).toBe(false);
    expect(set.has('2001:db9::1')).toBe(false);
    expect(set.has('not-an-ip')).toBe(false);
    expect(normalizeIp('[::1]')).toBe('::1');
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.0/8/1')).toBeUndefined();
  });

  it('ignores X-Forwarded-For from an untrusted peer', () => {
    expect(clientAddress('::ffff:203.0.113.9', '10.0.0.5', none)).toBe('203.0.113.9');
    expect(clientAddress('203.0.113.9', '10.0.0.5', proxies)).toBe('203.0.113.9');
  });

  it('takes the right-most untrusted hop behind trusted proxies', () => {
    expect(clientAddress('10.0.0.1', '198.51.100.1', proxies)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.1', '1.1.1.1, 198.51.100.1, fd00::2', proxies)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.1', ['1.1.1.1', '198.51.100.1'], proxies)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.1', 'garbage', proxies)).toBe('10.0.0.1');
  });
});

describe('configuration', () => {
  it('lists every problem at once, naming the key', () => {
    let error: unknown;
    try {
      loadConfig(
        { HUB_PORT: 'eighty', HUB_DB: 'postgres://x', REDIS_URL: 'http://nope', HUB_ADMIN_PASSWORD: 'short' },
        { file: { security: { allowedCidrs: ['10.0.0.0/99'], trustedProxies: [] }, colour: 'red' } as never },
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const pointers = (error as ConfigError).errors.map((p) => p.pointer).sort();
    expect(pointers).toEqual(['HUB_ADMIN_PASSWORD', 'HUB_DB', 'HUB_PORT', 'REDIS_URL', 'config#/', 'config#/security/allowedCidrs/0']);
  });

  it('applies defaults', () => {
    const c = loadConfig({ HUB_CONFIG: '' });
    expect(c.port).toBe(8080);
    expect(c.host).toBe('127.0.0.1');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.file.auth.loginThrottle).toEqual({ maxFailures: 5, windowSeconds: 900 });
    expect(Object.keys(c.file.roles)).toContain('sales_rep');
  });

  it('refuses a named configuration file that does not exist', () => {
    expect(() => loadConfig({ HUB_CONFIG: '/nonexistent/hub.yaml' })).toThrow(ConfigError);
  });
});
