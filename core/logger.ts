import { pino, type Logger } from 'pino';

/** Paths pino blanks in every log line, wherever a secret could travel. */
export const REDACT_PATHS = [
  'password', '*.password', 'token', '*.token', 'secret', '*.secret', 'apiKey', '*.apiKey',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization', 'req.headers.cookie',
  'adminPassword', '*.adminPassword', 'url', '*.redisUrl', '*.db',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { service: 'erp-crm-hub' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination as Parameters<typeof pino>[1]) : pino(options);
}
