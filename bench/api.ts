/**
 * bench/api — what authentication (SigV4), model validation and the state store cost on the server,
 * measured against the same server's unauthenticated /ping in the same run.
 *
 * Requests are built and signed by the official SDK (@aws-sdk/client-signer), captured, and replayed
 * over the same kind of keep-alive connection as the /ping baseline, so the client's own cost is the
 * same on both sides and the ratio isolates the server (target ≥ 0.5). The end-to-end SDK rate
 * (client signing included, client and server sharing this machine) is printed too, for reference.
 */
import { GetSigningProfileCommand, ListSigningProfilesCommand, PutSigningProfileCommand } from '@aws-sdk/client-signer';
import { startTestServer } from '../test/support/server.js';
import { captureSignedRequest, rate, replayer, report } from './measure.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

const t = await startTestServer();
try {
  const c = t.admin.client;
  for (let i = 0; i < 30; i++) await c.send(new PutSigningProfileCommand({ profileName: `bench_${i}`, platformId: 'AWSLambda-SHA384-ECDSA' }));

  const credentials = { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey };
  const replay = replayer(t.url, CONCURRENCY);
  const base = new URL(t.url);

  const opts = { seconds: SECONDS, concurrency: CONCURRENCY, warmupSeconds: 1 };
  const get = await captureSignedRequest(t.url, credentials, new GetSigningProfileCommand({ profileName: 'bench_7' }));
  const list = await captureSignedRequest(t.url, credentials, new ListSigningProfilesCommand({ maxResults: 25 }));
  const pingRate = await rate(replay.send({ method: 'GET', path: '/ping', headers: { host: base.host } }), opts);
  const getRate = await rate(replay.send(get), opts);
  const listRate = await rate(replay.send(list), opts);
  const sdkGetRate = await rate(() => c.send(new GetSigningProfileCommand({ profileName: 'bench_7' })), opts);
  report('bench/api baseline /ping (unauthenticated)', { perSec: Math.round(pingRate) });
  report('bench/api GetSigningProfile (SigV4, SDK-signed)', { perSec: Math.round(getRate), ratioToPing: getRate / pingRate });
  report('bench/api ListSigningProfiles maxResults=25 (SigV4, SDK-signed)', { perSec: Math.round(listRate), ratioToPing: listRate / pingRate });
  report('bench/api GetSigningProfile end-to-end through the SDK client (client cost included)', { perSec: Math.round(sdkGetRate), ratioToPing: sdkGetRate / pingRate });
  replay.close();
} finally {
  await t.stop();
}
