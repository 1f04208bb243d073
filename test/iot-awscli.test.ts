/**
 * `aws iot …` and `aws iot-jobs-data …` as a user types them, against the real server, with the
 * credentials/config files the server writes. Runs once per distinct `aws` on PATH (test/support/tools.ts):
 * Debian's awscli v2 (2.9.19, which signs `iot` with the SigV4 name `execute-api`) and any other.
 */
import { execFileSync } from 'node:child_process';
import { PutSigningProfileCommand } from '@aws-sdk/client-signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucket, certificateArn, sourceObject } from './support/fixtures.js';
import { startTestServer, type TestServer } from './support/server.js';
import { awsCli, type AwsCliResult } from './support/aws-cli.js';
import { findToolsOnPath, needTool } from './support/tools.js';


function version(bin: string): string | undefined {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }).trim().split(' ')[0];
  } catch {
    return undefined;
  }
}
const candidates = needTool('AWS CLI (iot commands)', 'aws') === undefined ? [] : findToolsOnPath('aws');
const clis: [string, string][] = [];
for (const bin of candidates) {
  const v = version(bin);
  if (v && !clis.some(([label]) => label === v)) clis.push([v, bin]);
}

let t: TestServer;
beforeAll(async () => {
  if (!clis.length) return;
  t = await startTestServer();
  const certArn = await certificateArn(t, t.admin, 'EC_prime256v1');
  await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'cli_ota', platformId: 'AmazonFreeRTOS-Default', signingMaterial: { certificateArn: certArn } }));
});
afterAll(async () => t?.stop());

const aws = (bin: string, args: string[]): Promise<AwsCliResult> => awsCli(bin, t, args);

describe.skipIf(clis.length === 0).each(clis)('aws-cli %s: aws iot', (label, bin) => {
  const tag = label.replace(/[^0-9a-zA-Z]/g, '_');
  const thing = `cli-thing-${tag}`;
  const arnOf = (name: string) => `arn:aws:iot:${t.server.config.region}:${t.admin.accountId}:thing/${name}`;

  it('[CreateThing] [DescribeThing] [ListThings] aws iot create-thing, describe-thing, list-things (paged by the CLI)', async () => {
    const made = await aws(bin, ['iot', 'create-thing', '--thing-name', thing, '--attribute-payload', '{"attributes":{"model":"esp32"}}']);
    expect(made.code, made.stderr).toBe(0);
    expect(made.json.thingArn).toBe(arnOf(thing));
    for (let i = 0; i < 3; i++) expect((await aws(bin, ['iot', 'create-thing', '--thing-name', `${thing}-${i}`])).code).toBe(0);
    const d = await aws(bin, ['iot', 'describe-thing', '--thing-name', thing]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.json).toMatchObject({ thingName: thing, attributes: { model: 'esp32' }, version: 1 });
    const list = await aws(bin, ['iot', 'list-things', '--page-size', '1']);
    expect(list.code, list.stderr).toBe(0);
    const names = (list.json.things as { thingName: string }[]).map((x) => x.thingName);
    for (const n of [thing, `${thing}-0`, `${thing}-1`, `${thing}-2`]) expect(names).toContain(n);
  });

  it('[CreateKeysAndCertificate] [AttachThingPrincipal] [ListThingPrincipals] [UpdateCertificate] [DescribeCertificate]', async () => {
    const c = await aws(bin, ['iot', 'create-keys-and-certificate', '--set-as-active']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.json.certificatePem).toMatch(/BEGIN CERTIFICATE/);
    expect((c.json.keyPair as { PrivateKey: string }).PrivateKey).toMatch(/PRIVATE KEY/);
    const arn = c.json.certificateArn as string;
    expect((await aws(bin, ['iot', 'attach-thing-principal', '--thing-name', thing, '--principal', arn])).code).toBe(0);
    const p = await aws(bin, ['iot', 'list-thing-principals', '--thing-name', thing]);
    expect(p.json.principals).toEqual([arn]);
    const u = await aws(bin, ['iot', 'update-certificate', '--certificate-id', c.json.certificateId as string, '--new-status', 'INACTIVE']);
    expect(u.code, u.stderr).toBe(0);
    const d = await aws(bin, ['iot', 'describe-certificate', '--certificate-id', c.json.certificateId as string]);
    expect((d.json.certificateDescription as { status: string }).status).toBe('INACTIVE');
  });

  it('[CreateOTAUpdate] [GetOTAUpdate] [ListOTAUpdates] [GetJobDocument] aws iot create-ota-update signs with a profile and makes the AFR_OTA job', async () => {
    const src = await sourceObject(t, t.admin, `cli/${tag}.bin`, new Uint8Array(Buffer.from('cli firmware '.repeat(500))));
    const dest = await bucket(t, t.admin, 'cli-signed');
    const id = `cli-ota-${tag}`;
    const files = [
      {
        fileName: 'fw.bin',
        fileLocation: { s3Location: { bucket: src.bucketName, key: src.key, version: src.version } },
        codeSigning: { startSigningJobParameter: { signingProfileName: 'cli_ota', signingProfileParameter: { certificatePathOnDevice: 'cert.pem' }, destination: { s3Destination: { bucket: dest } } } },
      },
    ];
    const made = await aws(bin, ['iot', 'create-ota-update', '--ota-update-id', id, '--targets', arnOf(thing), '--protocols', 'MQTT', '--files', JSON.stringify(files), '--role-arn', `arn:aws:iam::${t.admin.accountId}:role/ota`]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.json.otaUpdateId).toBe(id);
    let info: Record<string, unknown> = {};
    for (;;) {
      const g = await aws(bin, ['iot', 'get-ota-update', '--ota-update-id', id]);
      expect(g.code, g.stderr).toBe(0);
      info = g.json.otaUpdateInfo as Record<string, unknown>;
      if (info.otaUpdateStatus !== 'CREATE_PENDING' && info.otaUpdateStatus !== 'CREATE_IN_PROGRESS') break;
    }
    expect(info).toMatchObject({ otaUpdateStatus: 'CREATE_COMPLETE', awsIotJobId: `AFR_OTA-${id}` });
    const list = await aws(bin, ['iot', 'list-ota-updates']);
    expect((list.json.otaUpdates as { otaUpdateId: string }[]).map((u) => u.otaUpdateId)).toContain(id);
    const doc = await aws(bin, ['iot', 'get-job-document', '--job-id', `AFR_OTA-${id}`]);
    const afr = (JSON.parse(doc.json.document as string) as { afr_ota: { files: Record<string, unknown>[] } }).afr_ota;
    expect(afr.files[0]).toMatchObject({ filepath: 'fw.bin', certfile: 'cert.pem', 'sig-sha256-ecdsa': expect.stringMatching(/^[A-Za-z0-9+/]+=*$/) });
    const execs = await aws(bin, ['iot', 'list-job-executions-for-job', '--job-id', `AFR_OTA-${id}`]);
    expect((execs.json.executionSummaries as { thingArn: string }[]).map((e) => e.thingArn)).toEqual([arnOf(thing)]);
  });

  it('[GetPendingJobExecutions] [StartNextPendingJobExecution] [UpdateJobExecution] aws iot-jobs-data on the same endpoint', async () => {
    const pending = await aws(bin, ['iot-jobs-data', 'get-pending-job-executions', '--thing-name', thing]);
    expect(pending.code, pending.stderr).toBe(0);
    expect((pending.json.queuedJobs as { jobId: string }[]).map((j) => j.jobId)).toEqual([`AFR_OTA-cli-ota-${tag}`]);
    const started = await aws(bin, ['iot-jobs-data', 'start-next-pending-job-execution', '--thing-name', thing]);
    expect(started.code, started.stderr).toBe(0);
    expect(started.json.execution).toMatchObject({ status: 'IN_PROGRESS', thingName: thing });
    const upd = await aws(bin, ['iot-jobs-data', 'update-job-execution', '--thing-name', thing, '--job-id', `AFR_OTA-cli-ota-${tag}`, '--status', 'SUCCEEDED', '--include-job-execution-state']);
    expect(upd.code, upd.stderr).toBe(0);
    expect(upd.json.executionState).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('[DescribeThing] a missing thing exits non-zero with ResourceNotFoundException; bad input with InvalidRequestException', async () => {
    const r = await aws(bin, ['iot', 'describe-thing', '--thing-name', 'no-such-thing']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ResourceNotFoundException/);
    const bad = await aws(bin, ['iot', 'create-thing', '--thing-name', 'bad name']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/InvalidRequestException/);
  });
});
