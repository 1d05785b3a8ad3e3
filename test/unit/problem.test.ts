import { describe, expect, it } from 'vitest';
import { problemOf } from '../../openapi/app/problem.js';

describe('problem details of failures the hub did not make', () => {
  it('a store that is down or restarting is a 503 store_unavailable with Retry-After, naming nothing of the driver', () => {
    for (const error of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }),
      Object.assign(new Error("Can't add new command when connection is in closed state"), { fatal: true }),
      Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK' }),
    ]) {
      const { body, headers } = problemOf(error, 'r-1');
      expect(body).toMatchObject({ status: 503, type: expect.stringMatching(/store_unavailable$/) });
      expect(headers['Retry-After']).toBe('5');
      expect(JSON.stringify(body)).not.toMatch(/3306|ECONN|closed state|Deadlock/);
    }
  });

  it('any other unexpected error stays a 500 that says nothing of its cause', () => {
    const { body } = problemOf(Object.assign(new Error("Duplicate entry 'secret@example.com'"), { code: 'ER_DUP_ENTRY' }), 'r-2');
    expect(body).toMatchObject({ status: 500, type: expect.stringMatching(/internal$/) });
    expect(JSON.stringify(body)).not.toContain('secret');
  });
});
