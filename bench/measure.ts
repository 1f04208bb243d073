import { Agent, request } from 'node:http';
import { SignerClient } from '@aws-sdk/client-signer';
import type { HttpRequest } from '@smithy/protocol-http';

/** Closed-loop load: `concurrency` callers repeat `op` for `seconds`; returns completed ops per second. */
export async function rate(op: () => Promise<unknown>, opts: { seconds: number; concurrency: number; warmupSeconds?: number }): Promise<number> {
  const run = async (seconds: number) => {
    const end = performance.now() + seconds * 1000;
    let done = 0;
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (performance.now() < end) {
          await op();
          done++;
        }
      }),
    );
    return done / seconds;
  };
  if (opts.warmupSeconds) await run(opts.warmupSeconds);
  return run(opts.seconds);
}

/** Prints one result line and returns it for a summary. */
export function report(name: string, fields: Record<string, number | string>): string {
  const line = `${name}: ` + Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(3)) : v}`).join(' ');
  console.log(line);
  return line;
}


/** A request exactly as an SDK would put it on the wire. */
export interface WireRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/**
 * The SigV4-signed request the official SDK builds for `command` (valid for the 15-minute skew window),
 * captured instead of sent, so a benchmark can replay it with the same client code as its baseline.
 */
export async function captureSignedRequest(
  endpoint: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  command: unknown,
): Promise<WireRequest> {
  let captured: HttpRequest | undefined;
  const client = new SignerClient({
    endpoint,
    region: 'us-east-1',
    credentials,
    requestHandler: {
      handle: async (req: HttpRequest) => {
        captured = req;
        throw new Error('captured');
      },
    },
  });
  await client.send(command as never).catch(() => undefined);
  if (!captured) throw new Error('no request captured');
  const query = Object.entries(captured.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(String(x))}`))
    .join('&');
  const raw = captured.body as string | Uint8Array | undefined;
  const body = raw === undefined ? undefined : typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  return { method: captured.method, path: captured.path + (query ? `?${query}` : ''), headers: captured.headers, ...(body ? { body } : {}) };
}

/** Sends wire requests over one keep-alive agent; each call of the returned function is one request expecting 200. */
export function replayer(baseUrl: string, maxSockets: number): { send(r: WireRequest): () => Promise<void>; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const base = new URL(baseUrl);
  return {
    send: (r) => () =>
      new Promise<void>((resolve, reject) => {
        const req = request({ host: base.hostname, port: base.port, agent, method: r.method, path: r.path, headers: r.headers }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${r.path}: HTTP ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end(r.body);
      }),
    close: () => agent.destroy(),
  };
}
