/**
 * bench/attack — does one client's abuse slow everyone else down? The p99 latency of an
 * authenticated GetSigningProfile (SDK-signed, captured and replayed over keep-alive, as in
 * bench/api) on an idle server, then in the same run while the server is under attack:
 *
 * - 200 slow unauthenticated connections held open on the Signer port (half trickle their headers
 *   one line at a time, half declare a 1 MiB body and trickle it), re-opened whenever the server
 *   closes one, spread over 4 loopback source addresses so the per-address cap does not simply
 *   refuse them all;
 * - an adversarial 1 MiB XML body always in flight on the S3 port (a signed CompleteMultipartUpload
 *   of 174,760 `<Part>` openings, finding 1's body), sent again as soon as it is answered.
 *
 * The attacker is a child process; the server and the measuring client share this one, as in bench/api.
 * Prints p99(under attack) ÷ p99(idle); target ≤ 2.
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GetSigningProfileCommand, PutSigningProfileCommand } from '@aws-sdk/client-signer';
import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { s3Signed, send } from '../test/support/s3-raw.js';
import { startTestServer } from '../test/support/server.js';
import { captureSignedRequest, replayer, report, type WireRequest } from './measure.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const SLOW = 200;
const SOURCES = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];

/** Latencies (ms) of `n` requests made by `concurrency` callers. */
async function latencies(send: () => Promise<void>, n: number, concurrency: number): Promise<number[]> {
  const out: number[] = [];
  let left = n;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) {
        const t0 = performance.now();
        await send();
        out.push(performance.now() - t0);
      }
    }),
  );
  return out.sort((a, b) => a - b);
}
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/**
 * The attacker runs in its own process (as it would on its own machine), so its CPU — signing and
 * hashing the 1 MiB body, trickling 200 sockets — is not charged to the server's event loop.
 * It prints one JSON line of counts when told to stop (SIGTERM).
 */
async function attack(signerUrl: string, s3Url: string, cred: { accessKeyId: string; secretAccessKey: string }): Promise<void> {
  let running = true;
  const api = new URL(signerUrl);
  const open = new Set<Socket>();
  let closedByServer = 0;
  const slowConnection = (i: number): void => {
    if (!running) return;
    const s = connect({ port: Number(api.port), host: api.hostname, localAddress: SOURCES[i % SOURCES.length] });
    open.add(s);
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    let timer: NodeJS.Timeout | undefined;
    s.once('connect', () => {
      if (i % 2 === 0) {
        s.write(`GET /signing-profiles HTTP/1.1\r\nhost: ${api.host}\r\n`);
        timer = setInterval(() => s.write(`x-slow-${Math.random().toString(36).slice(2)}: 1\r\n`), 500);
      } else {
        s.write(`PUT /signing-profiles/p HTTP/1.1\r\nhost: ${api.host}\r\ncontent-type: application/json\r\ncontent-length: 1048576\r\n\r\n`);
        timer = setInterval(() => s.write(Buffer.alloc(1024, 0x20)), 100);
      }
    });
    s.once('close', () => {
      clearInterval(timer);
      open.delete(s);
      if (!running) return;
      closedByServer++;
      setTimeout(() => slowConnection(i), 1000); // a slow attacker comes back, slowly
    });
  };
  const parts = process.env.BENCH_ATTACK ?? 'slow,xml';
  if (parts.includes('slow')) for (let i = 0; i < SLOW; i++) slowConnection(i);

  await s3Signed(s3Url, cred, { method: 'PUT', path: '/attack-bucket' });
  const xml = `<CompleteMultipartUpload>${'<Part>'.repeat(174_760)}</CompleteMultipartUpload>`;
  let xmlAnswers = 0;
  const xmlCodes = new Set<string>();
  let minOpen = Infinity;
  let sumOpen = 0;
  let samples = 0;
  const sampler = setInterval(() => {
    minOpen = Math.min(minOpen, open.size);
    sumOpen += open.size;
    samples++;
  }, 100);
  process.once('SIGTERM', () => {
    running = false;
    clearInterval(sampler);
    for (const s of open) s.destroy();
    process.stdout.write(JSON.stringify({ minOpen, meanOpen: Math.round(sumOpen / Math.max(1, samples)), closedByServer, xmlAnswers, xmlAnswer: [...xmlCodes].join('|') }) + '\n');
  });
  process.stdout.write('ready\n');
  if (!parts.includes('xml')) await new Promise<void>((r) => process.once('SIGTERM', () => r()));
  // Signed once and replayed (SigV4 has no nonce; a signature stays good for 15 minutes): the attacker
  // spends its CPU on sending, not on hashing a megabyte per request.
  const u = new URL(s3Url);
  const body = Buffer.from(xml);
  const signed = (await new SignatureV4({ service: 's3', region: 'us-east-1', credentials: cred, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false, applyChecksum: false }).sign(
    new HttpRequest({ method: 'POST', hostname: u.hostname, port: Number(u.port), path: '/attack-bucket/any-key', query: { uploadId: 'none' }, headers: { host: u.host, 'content-length': String(body.length), 'x-amz-content-sha256': createHash('sha256').update(body).digest('hex') } }),
  )) as HttpRequest;
  while (running && parts.includes('xml')) {
    // Once told to stop, the server may go away under the request in flight: that is the end, not an error.
    const r = await send(s3Url, 'POST', '/attack-bucket/any-key?uploadId=none', signed.headers, body).catch((e: unknown) => {
      if (running) throw e;
    });
    if (!r) break;
    xmlAnswers++;
    xmlCodes.add(`${r.status} ${r.code ?? ''}`);
  }
}

if (process.argv[2] === '--attacker') {
  await attack(process.argv[3]!, process.argv[4]!, { accessKeyId: process.argv[5]!, secretAccessKey: process.argv[6]! });
} else {
  await measure();
}

async function measure(): Promise<void> {
const t = await startTestServer();
const stopAttack: (() => void)[] = [];
try {
  await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'bench_attack', platformId: 'AWSLambda-SHA384-ECDSA' }));
  const credentials = { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey };
  const get: WireRequest = await captureSignedRequest(t.url, credentials, new GetSigningProfileCommand({ profileName: 'bench_attack' }));
  const replay = replayer(t.url, CONCURRENCY);
  const op = replay.send(get);

  await latencies(op, 500, CONCURRENCY); // warm-up
  const idle = await latencies(op, REQUESTS, CONCURRENCY);

  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--attacker', t.url, t.server.s3Url, credentials.accessKeyId, credentials.secretAccessKey], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  stopAttack.push(() => child.kill('SIGTERM'));
  const lines = createInterface({ input: child.stdout! });
  const next = (): Promise<string> => new Promise((resolve) => lines.once('line', resolve));
  expectLine(await next(), 'ready');
  await new Promise((r) => setTimeout(r, 1500)); // let the slow connections and the XML loop settle in
  const attacked = await latencies(op, REQUESTS, CONCURRENCY);
  const summary = next();
  child.kill('SIGTERM');
  const counts = JSON.parse(await summary) as Record<string, number | string>;
  stopAttack.length = 0;

  const p99Idle = pct(idle, 99);
  const p99Attack = pct(attacked, 99);
  report('bench/attack GetSigningProfile idle', { requests: REQUESTS, concurrency: CONCURRENCY, p50ms: pct(idle, 50), p99ms: p99Idle });
  report('bench/attack GetSigningProfile under attack', { requests: REQUESTS, concurrency: CONCURRENCY, p50ms: pct(attacked, 50), p99ms: p99Attack });
  report('bench/attack the attack (separate process)', { slowConnectionsOpenMean: counts.meanOpen!, slowConnectionsOpenMin: counts.minOpen!, slowConnectionsClosedByServer: counts.closedByServer!, xmlBodiesAnswered: counts.xmlAnswers!, xmlAnswer: counts.xmlAnswer! });
  report('bench/attack p99 under attack ÷ p99 idle', { ratio: p99Attack / p99Idle, target: '≤ 2' });
  replay.close();
} finally {
  for (const stop of stopAttack) stop();
  await t.stop();
}
}

function expectLine(line: string, want: string): void {
  if (line !== want) throw new Error(`attacker said '${line}', expected '${want}'`);
}
