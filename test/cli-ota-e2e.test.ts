/**
 * The "done when", through public interfaces only: `signer things create` writes a device
 * folder; a simulated FreeRTOS device connects with exactly those files to the broker DescribeEndpoint
 * names (mutual TLS); `signer ota create` (a separate process, @aws-sdk/client-iot underneath) signs the
 * image through our Signer and starts the update; the device verifies, self-tests and reports SUCCEEDED,
 * which `signer ota executions` shows.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DescribeEndpointCommand } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, manualScheduler, SimulatedDevice, SimulatedFlash, type AgentEvent } from '../simulator/agent/index.js';
import { iotClient } from './support/iot.js';
import { firmware, FACTORY, freertosProfile } from './support/ota.js';
import { startTestServer, type TestServer } from './support/server.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

let t: TestServer;
let device: SimulatedDevice | undefined;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await device?.close().catch(() => undefined);
  await t?.stop();
});

async function signer(args: string[]): Promise<string> {
  const r = await run(process.execPath, ['--import', 'tsx', MAIN, ...args, '--data-dir', t.dataDir], { timeout: 120_000 });
  return r.stdout;
}

describe('signer things create + signer ota create → a device over mutual TLS reports SUCCEEDED', () => {
  it('[CreateOTAUpdate] [DescribeEndpoint] the whole path', async () => {
    const profile = await freertosProfile(t);
    const dir = join(t.dataDir, 'dev-e2e');
    await signer(['things', 'create', 'dev-e2e', '--out', dir]);
    const identity = JSON.parse(readFileSync(join(dir, 'device.json'), 'utf8')) as { endpoint: string; clientId: string; certificate: string; privateKey: string; rootCa: string };
    expect(identity.endpoint).toBe((await iotClient(t).send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }))).endpointAddress);

    const events: AgentEvent[] = [];
    let waiter: { pred: (e: AgentEvent) => boolean; resolve: () => void } | undefined;
    const flash = new SimulatedFlash({ image: buildImage(FACTORY, new Uint8Array(0)), version: FACTORY });
    const [host, port = '8883'] = identity.endpoint.split(':');
    device = await SimulatedDevice.connect({
      url: `mqtts://${host}:${port}`,
      tls: { ca: readFileSync(join(dir, identity.rootCa), 'utf8'), cert: readFileSync(join(dir, identity.certificate), 'utf8'), key: readFileSync(join(dir, identity.privateKey), 'utf8') },
      thingName: identity.clientId,
      flash,
      scheduler: manualScheduler(),
      codeSigningCertificates: { 'ota.crt': profile.certificatePem },
      blocksPerRequest: 8,
      onEvent: (e) => {
        events.push(e);
        if (waiter?.pred(e)) waiter.resolve();
      },
    });

    const image = firmware({ major: 1, minor: 2, build: 0 }, 30_000);
    const fw = join(t.dataDir, 'fw-e2e.bin');
    writeFileSync(fw, image);
    const accepted = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no 'accepted' event; saw ${JSON.stringify(events.slice(-6))}`)), 120_000);
      waiter = { pred: (e) => e.kind === 'accepted', resolve: () => (clearTimeout(timer), resolve()) };
      if (events.some((e) => e.kind === 'accepted')) waiter.resolve();
    });
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
});
