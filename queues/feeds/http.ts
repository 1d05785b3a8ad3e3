import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HubError } from '../../core/errors.js';
import type { FeedRunRow } from '../../core/store/feeds-repository.js';
import type { ArchivedRun } from './archive.js';
import type { FeedConfig } from './config.js';

/**
 * A run's files to finance's endpoint: one `multipart/form-data` POST per run, its parts in delivery
 * order (each data file's signature, the file, the manifest's signature, the manifest last), each part
 * named by its file name. The request says which run it carries (`X-Hub-Feed`, `X-Hub-Feed-Sequence`,
 * `Idempotency-Key: <feed>-<sequence>`), so finance drops a sequence it already has: a retry or a
 * replay sends the same bytes again. Any 2xx is delivered; 408, 425, 429 and 5xx, a network error or
 * no answer in time are worth another attempt; another answer is final.
 */

export type HttpSettings = NonNullable<FeedConfig['delivery']['http']>;

/** Why one POST did not deliver: retryable or not, a short code, and how long the endpoint asked to wait. */
export class FeedPostError extends HubError {
  constructor(
    code: string,
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(code, 502, message);
  }
}

function partType(name: string): string {
  if (name.endsWith('.sig') || name.endsWith('.enc')) return 'application/octet-stream';
  if (name.endsWith('.csv')) return 'text/csv; charset=utf-8';
  if (name.endsWith('.jsonl')) return 'application/jsonl';
  return 'application/json';
}

/** Seconds or an HTTP date, as milliseconds from now. */
function retryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** The multipart body (streamed from the archive) and its exact length. */
async function multipart(archive: ArchivedRun, boundary: string): Promise<{ body: AsyncIterable<Buffer>; length: number }> {
  const parts: { head: Buffer; path: string; size: number }[] = [];
  for (const name of archive.names) {
    const path = join(archive.dir, name);
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}"\r\nContent-Type: ${partType(name)}\r\n\r\n`, 'utf8');
    parts.push({ head, path, size: (await stat(path)).size });
  }
  const tail = Buffer.from(`--${boundary}--\r\n`, 'utf8');
  const length = parts.reduce((n, p) => n + p.head.length + p.size + 2, 0) + tail.length;
  async function* body(): AsyncIterable<Buffer> {
    for (const p of parts) {
      yield p.head;
      for await (const chunk of createReadStream(p.path)) yield chunk as Buffer;
      yield Buffer.from('\r\n');
    }
    yield tail;
  }
  return { body: body(), length };
}

/** POSTs one run; resolves when finance answered 2xx, throws FeedPostError otherwise. */
export async function postRun(archive: ArchivedRun, run: Pick<FeedRunRow, 'feed' | 'sequence' | 'keyId'>, http: HttpSettings): Promise<number> {
  const boundary = `hub-feed-${randomBytes(12).toString('hex')}`;
  const { body, length } = await multipart(archive, boundary);
  const origin = new URL(http.url).origin;
  let response: Response;
  try {
    response = await fetch(http.url, {
      method: 'POST',
      headers: {
        ...http.headers,
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': String(length),
        'X-Hub-Feed': run.feed,
        'X-Hub-Feed-Sequence': String(run.sequence),
        'X-Hub-Feed-Key-Id': run.keyId ?? '',
        'Idempotency-Key': `${run.feed}-${run.sequence}`,
      },
      body: body as unknown as RequestInit['body'],
      duplex: 'half',
      redirect: 'manual',
      signal: AbortSignal.timeout(http.timeoutMs),
    } as RequestInit & { duplex: 'half' });
  } catch (error) {
    const timedOut = (error as Error)?.name === 'TimeoutError';
    throw new FeedPostError(timedOut ? 'timeout' : 'network', timedOut ? `${origin} did not answer within ${http.timeoutMs} ms` : `${origin} could not be reached`, true);
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.status >= 200 && response.status < 300) return response.status;
  const retryable = [408, 425, 429].includes(response.status) || response.status >= 500;
  throw new FeedPostError(`http_${response.status}`, `${origin} answered ${response.status}`, retryable, retryAfter(response.headers.get('retry-after')));
}
