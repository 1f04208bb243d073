/**
 * `signer things create` and `signer ota create|describe|list|cancel|executions`, run as a user runs
 * them (a separate process reading <data>/endpoints.json and <data>/credentials) against a server.
 */
import { createPrivateKey, createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeCertificateCommand, DescribeJobCommand, ListThingPrincipalsCommand, type IoTClient } from '@aws-sdk/client-iot';
import { PutSigningProfileCommand } from '@aws-sdk/client-signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSigner } from './support/cli-process.js';
import { certificateArn } from './support/fixtures.js';
import { iotClient } from './support/iot.js';
import { startTestServer, type TestServer } from './support/server.js';


let t: TestServer;
let iot: IoTClient;
beforeAll(async () => {
  t = await startTestServer();
  iot = iotClient(t);
  await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'cli_fw', platformId: 'AmazonFreeRTOS-Default', signingMaterial: { certificateArn: await certificateArn(t, t.admin) } }));
});
afterAll(async () => t?.stop());

const signer = (args: string[]) => runSigner([...args, '--data-dir', t.dataDir]);

describe('signer things / signer ota', () => {
  let dir: string;

  it('[CreateThing] [CreateKeysAndCertificate] [AttachThingPrincipal] signer things create writes a device folder', async () => {
    dir = join(t.dataDir, 'devices', 'dev-cli');
    const r = await signer(['things', 'create', 'dev-cli', '--out', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { thingName: string; certificateId: string; certificateArn: string };
    expect(r.stdout).not.toContain('PRIVATE KEY');
    expect(out.thingName).toBe('dev-cli');

    const certPem = readFileSync(join(dir, 'certificate.pem.crt'), 'utf8');
    const keyPem = readFileSync(join(dir, 'private.pem.key'), 'utf8');
    expect(statSync(join(dir, 'private.pem.key')).mode & 0o077).toBe(0);
    // The key and the certificate belong together: a signature by one verifies with the other.
    const x = new X509Certificate(certPem);
    const sig = sign('sha256', Buffer.from('hello'), createPrivateKey(keyPem));
    expect(verify('sha256', Buffer.from('hello'), x.publicKey, sig)).toBe(true);
    expect(createPublicKey(readFileSync(join(dir, 'public.pem.key'))).export({ format: 'der', type: 'spki' })).toEqual(x.publicKey.export({ format: 'der', type: 'spki' }));

    const device = JSON.parse(readFileSync(join(dir, 'device.json'), 'utf8')) as Record<string, unknown>;
    expect(device).toMatchObject({ thingName: 'dev-cli', certificateId: out.certificateId, certificate: 'certificate.pem.crt', privateKey: 'private.pem.key' });
    expect(JSON.stringify(device)).not.toContain('PRIVATE KEY');
    expect((await iot.send(new DescribeCertificateCommand({ certificateId: out.certificateId }))).certificateDescription!.status).toBe('ACTIVE');
    expect((await iot.send(new ListThingPrincipalsCommand({ thingName: 'dev-cli' }))).principals).toEqual([out.certificateArn]);

    const again = await signer(['things', 'create', 'dev-cli', '--out', dir]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already holds a device identity/);
  });

  it('[CreateOTAUpdate] [GetOTAUpdate] [ListOTAUpdates] [ListJobExecutionsForJob] [CancelJob] signer ota create, describe, list, executions, cancel', async () => {
    const fw = join(t.dataDir, 'fw.bin');
    writeFileSync(fw, Buffer.from('new firmware '.repeat(1000)));
    const made = await signer(['ota', 'create', '--thing', 'dev-cli', '--file', fw, '--profile', 'cli_fw', '--id', 'cli-ota-1', '--json']);
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ otaUpdateId: 'cli-ota-1', otaUpdateStatus: 'CREATE_COMPLETE', awsIotJobId: 'AFR_OTA-cli-ota-1' });

    const d = await signer(['ota', 'describe', 'cli-ota-1']);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/cli-ota-1 CREATE_COMPLETE/);
    expect(d.stdout).toMatch(/job AFR_OTA-cli-ota-1/);
    const l = await signer(['ota', 'list']);
    expect(l.stdout).toMatch(/^cli-ota-1\t/m);
    const e = await signer(['ota', 'executions', 'cli-ota-1']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^dev-cli\tQUEUED/m);

    const c = await signer(['ota', 'cancel', 'cli-ota-1']);
    expect(c.code, c.stderr).toBe(0);
    expect((await iot.send(new DescribeJobCommand({ jobId: 'AFR_OTA-cli-ota-1' }))).job!.status).toBe('CANCELED');
    expect((await signer(['ota', 'executions', 'cli-ota-1'])).stdout).toMatch(/^dev-cli\tCANCELED/m);
  });

  it('signer ota: usage errors and server errors exit non-zero with a message', async () => {
    const noTarget = await signer(['ota', 'create', '--file', 'x', '--profile', 'p']);
    expect(noTarget.code).not.toBe(0);
    expect(noTarget.stderr).toMatch(/--thing or --group/);
    const missing = await signer(['ota', 'describe', 'no-such-update']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no-such-update|not found|cannot be found/i);
  });
});
