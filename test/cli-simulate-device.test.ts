/**
 * `signer simulate device` as a user runs it: a process of its own against a running server, with an
 * identity made through the IoT API or read from the files `signer things create` wrote; `signer ota
 * create` (another process) starts the update and the device's own output and the job execution say
 * how it ended.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeJobExecutionCommand, GetOTAUpdateCommand, ListThingPrincipalsCommand } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSigner, spawnSigner, type SignerProcess } from './support/cli-process.js';
import { iotClient } from './support/iot.js';
import { firmware, freertosProfile } from './support/ota.js';
import { startTestServer, type TestServer } from './support/server.js';


let t: TestServer;
const children: SignerProcess[] = [];
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  for (const c of children) await c.stop();
  await t?.stop();
});

async function signer(args: string[]): Promise<string> {
  const r = await runSigner([...args, '--data-dir', t.dataDir]);
  if (r.code !== 0) throw new Error(`signer ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Starts `signer simulate device …`; resolves once it printed `ready` (a line matching it). */
async function simulate(args: string[], ready: RegExp) {
  const dev = spawnSigner(['simulate', 'device', ...args, '--data-dir', t.dataDir]);
  children.push(dev);
  await dev.waitFor((out) => (ready.test(out) ? true : undefined), String(ready));
  return dev;
}

async function executionStatus(jobId: string, thingName: string, want: string): Promise<string> {
  let status = '';
  for (let i = 0; i < 600 && status !== want; i++) {
    status = (await iotClient(t).send(new DescribeJobExecutionCommand({ jobId, thingName }))).execution!.status!;
    if (status !== want) await new Promise((r) => setTimeout(r, 50));
  }
  return status;
}

describe('signer simulate device', () => {
  it('makes its identity through the IoT API, takes a `signer ota create` update, prints JSON events and exits 0 with --once', async () => {
    const profile = await freertosProfile(t);
    const pem = join(t.dataDir, 'sim-signer.pem');
    writeFileSync(pem, profile.certificatePem);
    const dev = await simulate(['--thing', 'sim-api', '--signer-cert', `ota.crt=${pem}`, '--blocks-per-request', '4', '--once', '--json'], /"event":"connected"/);
    // The identity exists on the server: one certificate attached to the (new) thing.
    const principals = await iotClient(t).send(new ListThingPrincipalsCommand({ thingName: 'sim-api' }));
    expect(principals.principals).toHaveLength(1);

    const image = firmware({ major: 1, minor: 4, build: 2 }, 40_000);
    const fw = join(t.dataDir, 'fw-sim-api.bin');
    writeFileSync(fw, image);
    await signer(['ota', 'create', '--thing', 'sim-api', '--file', fw, '--profile', profile.profileName, '--certificate-path', 'ota.crt', '--id', 'sim-api-1', '--json']);
    expect(await dev.exited, dev.err()).toBe(0);

    const events = dev.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.find((e) => e.event === 'connected')).toMatchObject({ event: 'connected', thingName: 'sim-api', version: 'v1.0.0' });
    expect(events.some((e) => e.event === 'progress' && e.received === e.total)).toBe(true);
    expect(events.some((e) => e.event === 'status' && /"self_test":"active"/.test(String(e.payload)))).toBe(true);
    expect(events.find((e) => e.event === 'accepted')).toMatchObject({ version: 'v1.4.2', boot: 2 });
    expect(events.at(-1)).toEqual({ event: 'done', version: 'v1.4.2' });
    expect(dev.out() + dev.err()).not.toMatch(/PRIVATE KEY/);

    const { otaUpdateInfo } = await iotClient(t).send(new GetOTAUpdateCommand({ otaUpdateId: 'sim-api-1' }));
    expect(await executionStatus(otaUpdateInfo!.awsIotJobId!, 'sim-api', 'SUCCEEDED')).toBe('SUCCEEDED');
  }, 240_000);

  it('with --cert/--key from `signer things create`, a failing self-test rolls back, prints plain lines, reports FAILED and exits 1', async () => {
    const profile = await freertosProfile(t);
    const pem = join(t.dataDir, 'sim-signer-2.pem');
    writeFileSync(pem, profile.certificatePem);
    const dir = join(t.dataDir, 'sim-files');
    await signer(['things', 'create', 'sim-files', '--out', dir]);
    const dev = await simulate(
      ['--thing', 'sim-files', '--cert', join(dir, 'certificate.pem.crt'), '--key', join(dir, 'private.pem.key'), '--signer-cert', pem, '--fail-self-test', '--once'],
      /^device sim-files connected to mqtts:\/\/localhost:\d+, running v1\.0\.0$/m,
    );
    const fw = join(t.dataDir, 'fw-sim-files.bin');
    writeFileSync(fw, firmware({ major: 2, minor: 0, build: 0 }, 12_000));
    await signer(['ota', 'create', '--thing', 'sim-files', '--file', fw, '--profile', profile.profileName, '--certificate-path', 'ota.crt', '--id', 'sim-files-1']);
    expect(await dev.exited, dev.err()).toBe(1);
    expect(dev.out()).toMatch(/^receive AFR_OTA-sim-files-1 \d+\/(\d+)$/m);
    expect(dev.out()).toMatch(/^status AFR_OTA-sim-files-1 \{"status":"FAILED","statusDetails":\{"reason":"/m);
    expect(dev.out()).not.toMatch(/^accepted/m);

    const { otaUpdateInfo } = await iotClient(t).send(new GetOTAUpdateCommand({ otaUpdateId: 'sim-files-1' }));
    expect(await executionStatus(otaUpdateInfo!.awsIotJobId!, 'sim-files', 'FAILED')).toBe('FAILED');
  }, 240_000);

  it('a key that does not match its certificate is refused with a message naming the broker and thing, and exit 1', async () => {
    const dir = join(t.dataDir, 'sim-bad');
    await signer(['things', 'create', 'sim-bad', '--out', dir]);
    const other = join(t.dataDir, 'sim-bad-2');
    await signer(['things', 'create', 'sim-bad-2', '--out', other]);
    // The key does not match the certificate: TLS fails before any MQTT.
    const r = await runSigner(['simulate', 'device', '--thing', 'sim-bad', '--cert', join(dir, 'certificate.pem.crt'), '--key', join(other, 'private.pem.key'), '--signer-cert', join(dir, 'certificate.pem.crt'), '--once', '--data-dir', t.dataDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot connect to mqtts:\/\/localhost:\d+ as sim-bad/);
    expect(r.stderr).not.toMatch(/PRIVATE KEY/);
  }, 120_000);
});
