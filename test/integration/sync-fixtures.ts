import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Shared pieces of the sync engine's integration tests. */

/** Polls `probe` until it returns a value (not undefined), or fails naming what it waited for. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000, everyMs = 50): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Mapping files for an HTTP "sink" target receiving customers as `{ code, name[, currency] }`,
 * projected for the `finance` policy target (which never sees phone or email).
 */
export function sinkFiles(options: { currency?: boolean } = {}): Record<string, string> {
  const currency = options.currency ? '\n      currency: { type: string }' : '';
  return {
    'sink/schema.yaml': `
connector: sink
links: [customer]
entities:
  customers:
    fields:
      code: { type: string, required: true }
      name: { type: string, required: true }${currency}
`,
    'sink/customer.out.yaml': `
name: sink.customer.out
connector: sink
entity: customer
direction: out
externalEntity: customers
fields:
  code: { from: code }
  name: { from: name }${options.currency ? '\n  currency: { from: currency }' : ''}
`,
  };
}

/**
 * Mapping files for a source connector whose `customers` rows (`customer_no`, `name`, `currency`)
 * come in as hub customers (`code`, `name`, `currency`).
 */
export function customerSourceFiles(connector: string): Record<string, string> {
  return {
    [`${connector}/schema.yaml`]: `
connector: ${connector}
links: [customer]
entities:
  customers:
    fields:
      customer_no: { type: string, required: true }
      name: { type: string, required: true }
      currency: { type: string }
`,
    [`${connector}/customer.in.yaml`]: `
name: ${connector}.customer.in
connector: ${connector}
entity: customer
direction: in
externalEntity: customers
fields:
  code: { from: customer_no }
  name: { from: name }
  currency: { from: currency }
`,
  };
}

export interface JsonPeer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * A local HTTP peer on 127.0.0.1 (a random port): `handle` gets each request with its body parsed
 * as JSON (`{}` when empty) and answers with `reply(status, body?)`, or returns without replying to
 * drop the connection (`req.socket.destroy()`) as a lost answer.
 */
export async function startJsonPeer(handle: (req: IncomingMessage, body: Record<string, unknown>, reply: (status: number, body?: unknown) => void) => void): Promise<JsonPeer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const reply = (status: number, body?: unknown) =>
        body === undefined ? res.writeHead(status).end() : res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      handle(req, (text ? JSON.parse(text) : {}) as Record<string, unknown>, reply);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
