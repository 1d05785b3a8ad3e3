import { randomUUID } from 'node:crypto';
import type { ServerOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_TYPE_BASE, type ProblemBody } from './problem.js';

/**
 * The most bytes the request line and headers of one request may take together (Node's own default
 * is 16 KiB). Every parameter the spec declares is bounded, and the longest request the spec allows
 * (a 2,048-character cursor beside every other parameter at its maximum length, percent-encoded)
 * fits with room to spare for the ordinary headers (`HEADER_RESERVE_BYTES`); the contract tests
 * check this for every operation. Stated in the spec's description of the API.
 */
export const MAX_HEADER_BYTES = 32 * 1024;

/** What the spec's parameters leave of `MAX_HEADER_BYTES` for Host, Authorization, Accept, cookies and the like. */
export const HEADER_RESERVE_BYTES = 8 * 1024;

/** Options for the HTTP server that serves the hub (pass them to `http.createServer`). */
export const HTTP_SERVER_OPTIONS: Readonly<ServerOptions> = Object.freeze({ maxHeaderSize: MAX_HEADER_BYTES });

const REFUSALS: Readonly<Record<string, { status: number; title: string; code: string; detail: string }>> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    title: 'Request Header Fields Too Large',
    code: 'headers_too_large',
    detail: `The request line and headers exceed ${MAX_HEADER_BYTES} bytes; no request the API documents is this long`,
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, title: 'Content Too Large', code: 'payload_too_large', detail: 'The chunk extensions of the body are too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, title: 'Request Timeout', code: 'request_timeout', detail: 'The request was not received in time' },
};
const MALFORMED = { status: 400, title: 'Bad Request', code: 'bad_request', detail: 'The request is not well-formed HTTP/1.1' };

/** The raw HTTP response for a request Node's parser refused before express saw it. */
export function clientErrorResponse(error: { code?: string }, requestId: string = randomUUID()): string {
  const refusal = (error.code ? REFUSALS[error.code] : undefined) ?? MALFORMED;
  const body: ProblemBody = { type: PROBLEM_TYPE_BASE + refusal.code, title: refusal.title, status: refusal.status, detail: refusal.detail, instance: `urn:request:${requestId}` };
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  return [
    `HTTP/1.1 ${refusal.status} ${refusal.title}`,
    'Content-Type: application/problem+json',
    `Content-Length: ${bytes.length}`,
    `X-Request-Id: ${requestId}`,
    'Cache-Control: no-store',
    'Connection: close',
    '',
    bytes.toString('utf8'),
  ].join('\r\n');
}

/**
 * The HTTP server's `clientError` listener: a request Node's parser refuses (headers over
 * `MAX_HEADER_BYTES`, malformed HTTP, a timeout) is answered with problem+json like every other
 * refusal, instead of Node's bare status line. As Node does by default, nothing is written when a
 * response on the connection has already begun, and the connection is then closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
    socket.end(clientErrorResponse(error), () => socket.destroy());
    return;
  }
  socket.destroy(error);
}
