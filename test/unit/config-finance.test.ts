import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../hub/config/load.js';
import { ConfigError } from '../../core/errors.js';

const problems = (run: () => unknown): string[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.errors.map((p) => `${p.pointer}: ${p.detail}`);
    throw error;
  }
  return [];
};

describe('finance section of the configuration', () => {
  it('defaults the business time zone to UTC and accepts IANA names', () => {
    expect(loadConfig({ HUB_CONFIG: '' }).file.finance.timeZone).toBe('UTC');
    expect(loadConfig({ HUB_CONFIG: '' }, { file: { finance: { timeZone: 'Asia/Shanghai' } } }).file.finance.timeZone).toBe('Asia/Shanghai');
  });

  it('refuses a time zone the runtime does not know, naming the field', () => {
    const found = problems(() => loadConfig({ HUB_CONFIG: '' }, { file: { finance: { timeZone: 'Mars/Olympus' } } }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^config#\/finance\/timeZone: .*IANA time zone/);
  });
});
