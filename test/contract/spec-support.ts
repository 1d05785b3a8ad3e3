import { expect } from 'vitest';
import type { Response } from 'supertest';
import { loadSpec } from '../../openapi/app/spec.js';

/** The statuses the spec documents for an operation. */
export function documentedStatuses(operationId: string): string[] {
  const op = loadSpec().operations.find((o) => o.operationId === operationId);
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
