/**
 * The timeouts and per-client connection cap every listener of this server applies (the Signer/ACM
 * port and the embedded S3 port), so that a client that connects and then stalls — on its headers,
 * its body, or between requests — is closed rather than held.
 *
 * @packageDocumentation
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What one listener bounds. Every value is a number of milliseconds except the connection cap. */
export interface ListenerLimits {
  /** Time to receive a request's headers (node's `headersTimeout`). */
  readonly headersTimeoutMs: number;
  /** Time to receive the whole request, headers and body (node's `requestTimeout`). */
  readonly requestTimeoutMs: number;
  /** A connection with no byte in either direction for this long is destroyed. */
  readonly idleTimeoutMs: number;
  /** How long an idle keep-alive connection is kept between requests. */
  readonly keepAliveTimeoutMs: number;
  /** Open connections one client address may hold; the next one is destroyed on accept. */
  readonly maxConnectionsPerIp: number;
}

/**
 * Creates an HTTP server with `limits` applied. Node checks the headers and request timeouts on a
 * timer; its period is derived from the smallest timeout so short test settings act promptly.
 */
export function createLimitedServer(
  limits: ListenerLimits,
  handler: RequestListener<typeof IncomingMessage, typeof ServerResponse>,
): Server {
  const requestTimeout = limits.requestTimeoutMs;
  // Node refuses a headers timeout above a non-zero request timeout.
  const headersTimeout = Math.min(limits.headersTimeoutMs, requestTimeout);
  const server = createServer(
    {
      requestTimeout,
      headersTimeout,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
    handler,
  );
  // Idle sockets: with no 'timeout' listener on the server, node destroys the socket.
  server.timeout = limits.idleTimeoutMs;
  // Once a request's body has been received, the server may be silent while it works (assembling a
  // large multipart upload): the idle timer pauses until the response is finished, then resumes.
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    req.once('end', () => req.socket.setTimeout(0));
    res.once('close', () => {
      if (!req.socket.destroyed) req.socket.setTimeout(limits.idleTimeoutMs);
    });
  });
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const ip = socket.remoteAddress ?? 'unknown';
    const n = (open.get(ip) ?? 0) + 1;
    if (n > limits.maxConnectionsPerIp) {
      socket.destroy();
      return;
    }
    open.set(ip, n);
    socket.once('close', () => {
      const left = (open.get(ip) ?? 1) - 1;
      if (left <= 0) open.delete(ip);
      else open.set(ip, left);
    });
  });
  return server;
}

/** True when a request failed because its client went away (reset, aborted, closed mid-body). */
export function isClientAbort(err: unknown, req?: IncomingMessage): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (code === 'ECONNRESET' || code === 'ECONNABORTED' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE') return true;
  if (err instanceof Error && err.message === 'aborted') return true;
  return req !== undefined && req.socket.destroyed && !req.complete;
}
