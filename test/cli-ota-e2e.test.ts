/**
 * The "done when", through public interfaces only: `signer things create` writes a device
 * folder; a simulated FreeRTOS device connects with exactly those files to the broker DescribeEndpoint
 * names (mutual TLS); `signer ota create` (a separate process, @aws-sdk/client-iot underneath) signs the
 * image through our Signer and starts the update; the device verifies, self-tests and reports SUCCEEDED,
 * which `signer ota executions` shows; and the same with `aws iot create-ota-update`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DescribeEndpointCommand, DescribeJobExecutionCommand, GetOTAUpdateCommand } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, manualScheduler, SimulatedDevice, SimulatedFlash, type AgentEvent } from '../simulator/agent/index.js';
import { iotClient } from './support/iot.js';
import { firmware, FACTORY, freertosProfile, uploadFirmware } from './support/ota.js';
import { startTestServer, type TestServer } from './support/server.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

let t: TestServer;
const devices: SimulatedDevice[] = [];

function awsOnPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
const aws = awsOnPath();
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  for (const d of devices) await d.close().catch(() => undefined);
  await t?.stop();
});

/** Connects a simulated FreeRTOS device with the files `signer things create` wrote into `dir`. */
async function deviceFrom(dir: string, certificates: Record<string, string>) {
  const identity = JSON.parse(readFileSync(join(dir, 'device.json'), 'utf8')) as { endpoint: string; clientId: string; certificate: string; privateKey: string; rootCa: string };
  const events: AgentEvent[] = [];
  const waiters: { pred: (e: AgentEvent) => boolean; resolve: () => void }[] = [];
  const flash = new SimulatedFlash({ image: buildImage(FACTORY, new Uint8Array(0)), version: FACTORY });
  const [host, port = '8883'] = identity.endpoint.split(':');
  const device = await SimulatedDevice.connect({
    url: `mqtts://${host}:${port}`,
    tls: { ca: readFileSync(join(dir, identity.rootCa), 'utf8'), cert: readFileSync(join(dir, identity.certificate), 'utf8'), key: readFileSync(join(dir, identity.privateKey), 'utf8') },
    thingName: identity.clientId,
    flash,
    scheduler: manualScheduler(),
    codeSigningCertificates: certificates,
    blocksPerRequest: 8,
    onEvent: (e) => {
      events.push(e);
      for (const w of waiters) if (w.pred(e)) w.resolve();
    },
  });
  devices.push(device);
  const until = (kind: AgentEvent['kind']) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${kind}' event; saw ${JSON.stringify(events.slice(-6))}`)), 120_000);
      const done = () => (clearTimeout(timer), resolve());
      if (events.some((e) => e.kind === kind)) return done();
      waiters.push({ pred: (e) => e.kind === kind, resolve: done });
    });
  return { identity, flash, until };
}

async function signer(args: string[]): Promise<string> {
  const r = await run(process.execPath, ['--import', 'tsx', MAIN, ...args, '--data-dir', t.dataDir], { timeout: 120_000 });
  return r.stdout;
}

describe('signer things create + signer ota create → a device over mutual TLS reports SUCCEEDED', () => {
  it('[CreateOTAUpdate] [DescribeEndpoint] the whole path', async () => {
    const profile = await freertosProfile(t);
    const dir = join(t.dataDir, 'dev-e2e');
    await signer(['things', 'create', 'dev-e2e', '--out', dir]);
    const { identity, flash, until } = await deviceFrom(dir, { 'ota.crt': profile.certificatePem });
    expect(identity.endpoint).toBe((await iotClient(t).send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }))).endpointAddress);
    const image = firmware({ major: 1, minor: 2, build: 0 }, 30_000);
    const fw = join(t.dataDir, 'fw-e2e.bin');
    writeFileSync(fw, image);
    const accepted = until('accepted');
    const created = JSON.parse(await signer(['ota', 'create', '--thing', 'dev-e2e', '--file', fw, '--profile', profile.profileName, '--certificate-path', 'ota.crt', '--id', 'e2e-1', '--json'])) as { otaUpdateStatus: string };
    expect(created.otaUpdateStatus).toBe('CREATE_COMPLETE');
    await accepted;

    let listed = '';
    for (let i = 0; i < 200 && !/^dev-e2e\tSUCCEEDED/m.test(listed); i++) {
      listed = await signer(['ota', 'executions', 'e2e-1']);
    }
    expect(listed).toMatch(/^dev-e2e\tSUCCEEDED\treason=accepted {2}v1\.2\.0/m);
    expect(flash.version).toEqual({ major: 1, minor: 2, build: 0 });
    expect(Buffer.from(flash.image)).toEqual(Buffer.from(image));
  });

  it.skipIf(aws === undefined)('[CreateOTAUpdate] aws iot create-ota-update updates a device the same way', async () => {
    const profile = await freertosProfile(t);
    const dir = join(t.dataDir, 'dev-aws');
    await signer(['things', 'create', 'dev-aws', '--out', dir]);
    const { flash, until } = await deviceFrom(dir, { 'ota.crt': profile.certificatePem });
    const image = firmware({ major: 1, minor: 3, build: 0 }, 20_000);
    const src = await uploadFirmware(t, 'fw-aws.bin', image);
    const files = [
      {
        fileName: 'firmware.bin',
        fileLocation: { s3Location: src },
        codeSigning: { startSigningJobParameter: { signingProfileName: profile.profileName, signingProfileParameter: { certificatePathOnDevice: 'ota.crt' }, destination: { s3Destination: { bucket: src.bucket, prefix: 'signed/' } } } },
      },
    ];
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) env[k] = v;
    Object.assign(env, { AWS_SHARED_CREDENTIALS_FILE: join(t.dataDir, 'credentials'), AWS_CONFIG_FILE: join(t.dataDir, 'config'), AWS_PAGER: '' });
    const thing = `arn:aws:iot:${t.server.config.region}:${t.admin.accountId}:thing/dev-aws`;
    await run(aws!, ['--endpoint-url', t.url, 'iot', 'create-ota-update', '--ota-update-id', 'e2e-aws', '--targets', thing, '--files', JSON.stringify(files), '--role-arn', `arn:aws:iam::${t.admin.accountId}:role/ota`], { env, timeout: 120_000 });
    await until('accepted');
    const client = iotClient(t);
    const { otaUpdateInfo } = await client.send(new GetOTAUpdateCommand({ otaUpdateId: 'e2e-aws' }));
    let status = '';
    for (let i = 0; i < 600 && status !== 'SUCCEEDED'; i++) {
      status = (await client.send(new DescribeJobExecutionCommand({ jobId: otaUpdateInfo!.awsIotJobId, thingName: 'dev-aws' }))).execution!.status!;
      if (status !== 'SUCCEEDED') await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('SUCCEEDED');
    expect(Buffer.from(flash.image)).toEqual(Buffer.from(image));
  });
});
