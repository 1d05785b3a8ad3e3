import { expect } from 'vitest';
import type { Response } from 'supertest';
import { loadedSpec } from '../../openapi/app/spec.js';
import { deref as derefIn } from '../../core/model/spec-catalog.js';

/** The statuses the spec documents for an operation. */
export function documentedStatuses(operationId: string): string[] {
  const op = loadedSpec().operations.find((o) => o.operationId === operationId);
  if (!op) throw new Error(`no operation ${operationId} in the spec`);
  return Object.keys(op.responses);
}

/**
 * The hub answered `status`, the spec documents that status for the operation, and a refusal is
 * problem+json, as every refusal must be.
 */
export function expectDocumented(res: Response, operationId: string, status: number): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(documentedStatuses(operationId), `${operationId} answered ${status}`).toContain(String(status));
  if (status >= 400) {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status });
  }
}

type Json = Record<string, unknown>;

/** A schema with its `$ref`s followed. */
export function deref(schema: unknown): Json {
  return derefIn(loadedSpec().document as Json, schema);
}

/** A pattern whose every character is printable ASCII (a class with no negation, no `.` wildcard, no `\S`). */
function asciiOnly(pattern: string): boolean {
  const withoutClasses = pattern.replace(/\\./g, 'x').replace(/\[[^\]]*\]/g, 'x');
  return !/[.]/.test(withoutClasses) && !/\[\^|\\[SWDP]|\\u|\\x[89a-f]/i.test(pattern);
}

/**
 * The most bytes a value of `schema` can take on the wire: in a URL percent-encoded (a code point
 * of 4 UTF-8 bytes becomes 12 characters), in a header as sent (up to 4 bytes a code point).
 * Throws for a parameter with no bound: every parameter must have one.
 */
export function maxWireBytes(schema: unknown, where: 'url' | 'header', name: string): number {
  const s = deref(schema);
  if (Array.isArray(s['enum'])) return Math.max(...(s['enum'] as unknown[]).map((v) => encodeURIComponent(String(v)).length));
  if (s['type'] === 'array') {
    if (typeof s['maxItems'] !== 'number') throw new Error(`parameter ${name} has no maxItems`);
    return s['maxItems'] * (maxWireBytes(s['items'], where, name) + 3);
  }
  if (s['type'] === 'boolean') return 5;
  if (s['type'] === 'integer') return String(s['maximum'] ?? Number.MAX_SAFE_INTEGER).length + 1;
  const max = s['maxLength'];
  if (typeof max !== 'number') throw new Error(`parameter ${name} has no maxLength`);
  const ascii = typeof s['pattern'] === 'string' && asciiOnly(s['pattern']);
  return where === 'url' ? max * (ascii ? 3 : 12) : max * (ascii ? 1 : 4);
}

/** The longest request line and declared headers the spec allows for an operation, in bytes. */
export function longestRequestHead(operationId: string): number {
  const op = loadedSpec().operations.find((o) => o.operationId === operationId);
  if (!op) throw new Error(`no operation ${operationId}`);
  let path = op.path;
  let query = 0;
  let headers = 0;
  for (const p of op.parameters) {
    if (p.in === 'path') path = path.replace(`{${p.name}}`, 'x'.repeat(maxWireBytes(p.schema, 'url', p.name)));
    if (p.in === 'query') query += p.name.length + 2 + maxWireBytes(p.schema, 'url', p.name);
    if (p.in === 'header') headers += p.name.length + 4 + maxWireBytes(p.schema, 'header', p.name);
  }
  return `${op.method.toUpperCase()} ${path}? HTTP/1.1\r\n`.length + query + headers;
}
