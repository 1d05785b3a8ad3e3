import { isStoreUnavailable } from '../../core/store/faults.js';
import type { Response } from 'express';
import { HubError } from '../../core/errors.js';

export const PROBLEM_TYPE_BASE = 'https://erp-crm-hub.dev/problems/';

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: { pointer: string; detail: string }[];
}

/** RFC 9457 problem details for a hub error; an unexpected error says nothing of its cause. */
export function problemOf(error: unknown, requestId: string): { body: ProblemBody; headers: Record<string, string> } {
  if (error instanceof HubError && error.status < 500) {
    const body: ProblemBody = {
      type: PROBLEM_TYPE_BASE + error.code,
      title: TITLES[error.status] ?? 'Error',
      status: error.status,
      detail: error.message,
      instance: `urn:request:${requestId}`,
    };
    if (error.errors.length > 0) body.errors = error.errors.map((e) => ({ pointer: e.pointer, detail: e.detail }));
    return { body, headers: { ...error.headers } };
  }
  // The hub's own store is down or restarting: a passing state the client may retry, not a bug.
  if (!(error instanceof HubError) && isStoreUnavailable(error)) {
    return {
      body: { type: PROBLEM_TYPE_BASE + 'store_unavailable', title: TITLES[503] ?? 'Service Unavailable', status: 503, detail: 'The hub store is unavailable; try again shortly', instance: `urn:request:${requestId}` },
      headers: { 'Retry-After': '5' },
    };
  }
  const status = error instanceof HubError ? error.status : 500;
  return {
    body: {
      type: PROBLEM_TYPE_BASE + (error instanceof HubError ? error.code : 'internal'),
      title: TITLES[status] ?? 'Error',
      status,
      detail: error instanceof HubError ? error.message : 'An unexpected error occurred; the request id identifies it in the logs',
      instance: `urn:request:${requestId}`,
    },
    headers: {},
  };
}

/**
 * Sends a problem. Written with `end`, not express's `send`: `send` would add an ETag computed over
 * the problem body (and answer a matching If-None-Match with 304), and an error is no representation
 * of the resource for a client to cache or send back in If-Match.
 */
export function sendProblem(res: Response, body: ProblemBody, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  res.removeHeader('ETag');
  res.status(body.status).type('application/problem+json').setHeader('Content-Length', String(bytes.length));
  res.end(res.req.method === 'HEAD' ? undefined : bytes);
}
