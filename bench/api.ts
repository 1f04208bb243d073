/**
 * bench/api — what authentication (SigV4), model validation and the state store cost on the server,
 * measured against the same server's unauthenticated /ping in the same run.
 *
 * Requests are built and signed by the official SDK (@aws-sdk/client-signer), captured, and replayed
 * over the same kind of keep-alive connection as the /ping baseline, so the client's own cost is the
 * same on both sides and the ratio isolates the server (target ≥ 0.5). The end-to-end SDK rate
 * (client signing included, client and server sharing this machine) is printed too, for reference.
 */
import { Agent, request } from 'node:http';
import { GetSigningProfileCommand, ListSigningProfilesCommand, PutSigningProfileCommand, SignerClient } from '@aws-sdk/client-signer';
import type { HttpRequest } from '@smithy/protocol-http';
import { startTestServer } from '../test/support/server.js';
import { rate, report } from './measure.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

const t = await startTestServer();
try {
  const c = t.admin.client;
  for (let i = 0; i < 30; i++) await c.send(new PutSigningProfileCommand({ profileName: `bench_${i}`, platformId: 'AWSLambda-SHA384-ECDSA' }));

  /** The SDK's signed request for a command, as it would go on the wire (valid for the 15-minute skew window). */
  const capture = async (command: GetSigningProfileCommand | ListSigningProfilesCommand) => {
    let captured: HttpRequest | undefined;
    const client = new SignerClient({
      endpoint: t.url,
      region: 'us-east-1',
      credentials: { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey },
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
    return { method: captured.method, path: captured.path + (query ? `?${query}` : ''), headers: captured.headers };
  };

  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const base = new URL(t.url);
  const send = (r: { method: string; path: string; headers: Record<string, string> }) => () =>
    new Promise<void>((resolve, reject) => {
      const req = request({ host: base.hostname, port: base.port, agent, method: r.method, path: r.path, headers: r.headers }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${r.path}: HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    });

  const opts = { seconds: SECONDS, concurrency: CONCURRENCY, warmupSeconds: 1 };
  const get = await capture(new GetSigningProfileCommand({ profileName: 'bench_7' }));
  const list = await capture(new ListSigningProfilesCommand({ maxResults: 25 }));
  const pingRate = await rate(send({ method: 'GET', path: '/ping', headers: { host: base.host } }), opts);
  const getRate = await rate(send(get), opts);
  const listRate = await rate(send(list), opts);
  const sdkGetRate = await rate(() => c.send(new GetSigningProfileCommand({ profileName: 'bench_7' })), opts);
  report('bench/api baseline /ping (unauthenticated)', { perSec: Math.round(pingRate) });
  report('bench/api GetSigningProfile (SigV4, SDK-signed)', { perSec: Math.round(getRate), ratioToPing: getRate / pingRate });
  report('bench/api ListSigningProfiles maxResults=25 (SigV4, SDK-signed)', { perSec: Math.round(listRate), ratioToPing: listRate / pingRate });
  report('bench/api GetSigningProfile end-to-end through the SDK client (client cost included)', { perSec: Math.round(sdkGetRate), ratioToPing: sdkGetRate / pingRate });
  agent.destroy();
} finally {
  await t.stop();
}
