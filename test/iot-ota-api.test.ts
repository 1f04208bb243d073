/**
 * CreateOTAUpdate and friends through @aws-sdk/client-iot against a fresh server: the three ways
 * to sign (customCodeSigning, a signing job this server starts with a profile, an existing signing
 * job), the AFR_OTA job and stream it makes, the afr_ota document a FreeRTOS agent parses, failure
 * with errorInfo, listing with pagination, deletion.
 */
import { createPublicKey, generateKeyPairSync, sign as nodeSign, verify, X509Certificate } from 'node:crypto';
import { ACMClient, GetCertificateCommand } from '@aws-sdk/client-acm';
import {
  CreateOTAUpdateCommand,
  CreateStreamCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  DeleteOTAUpdateCommand,
  DescribeJobCommand,
  DescribeJobExecutionCommand,
  DescribeStreamCommand,
  GetJobDocumentCommand,
  GetOTAUpdateCommand,
  ListOTAUpdatesCommand,
  type IoTClient,
  type OTAUpdateInfo,
} from '@aws-sdk/client-iot';
import { PutSigningProfileCommand, StartSigningJobCommand } from '@aws-sdk/client-signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSdkError } from './support/errors.js';
import { bucket, certificateArn, settledJob, sourceObject } from './support/fixtures.js';
import { allPages, iotClient } from './support/iot.js';
import { startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
let iot: IoTClient;
let roleArn: string;
const firmware = new Uint8Array(Buffer.from('firmware image v2 '.repeat(3000)));

beforeAll(async () => {
  t = await startTestServer();
  iot = iotClient(t);
  roleArn = `arn:aws:iam::${t.admin.accountId}:role/ota`;
  await iot.send(new CreateThingCommand({ thingName: 'ota-dev-1' }));
  await iot.send(new CreateThingGroupCommand({ thingGroupName: 'ota-fleet' }));
});
afterAll(async () => t?.stop());

const thingArn = (name: string) => `arn:aws:iot:${t.server.config.region}:${t.admin.accountId}:thing/${name}`;

async function settled(otaUpdateId: string): Promise<OTAUpdateInfo> {
  for (;;) {
    const { otaUpdateInfo } = await iot.send(new GetOTAUpdateCommand({ otaUpdateId }));
    if (otaUpdateInfo!.otaUpdateStatus !== 'CREATE_PENDING' && otaUpdateInfo!.otaUpdateStatus !== 'CREATE_IN_PROGRESS') return otaUpdateInfo!;
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface AfrOtaFile {
  filepath: string;
  filesize: number;
  fileid: number;
  certfile: string;
  fileType: number;
  [k: string]: unknown;
}

async function afrOta(jobId: string): Promise<{ protocols: string[]; streamname: string; files: AfrOtaFile[] }> {
  const { document } = await iot.send(new GetJobDocumentCommand({ jobId }));
  return (JSON.parse(document!) as { afr_ota: { protocols: string[]; streamname: string; files: AfrOtaFile[] } }).afr_ota;
}

describe('CreateOTAUpdate', () => {
  it('[CreateOTAUpdate] [GetOTAUpdate] customCodeSigning: CREATE_PENDING at once, then CREATE_COMPLETE with an AFR_OTA job and stream', async () => {
    const src = await sourceObject(t, t.admin, 'ota/custom.bin', firmware);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const signature = nodeSign('sha256', firmware, privateKey);
    const made = await iot.send(
      new CreateOTAUpdateCommand({
        otaUpdateId: 'custom-1',
        targets: [thingArn('ota-dev-1')],
        protocols: ['MQTT'],
        roleArn,
        files: [
          {
            fileName: '/device/fw.bin',
            fileType: 7,
            fileLocation: { s3Location: { bucket: src.bucketName, key: src.key, version: src.version } },
            codeSigning: { customCodeSigning: { signature: { inlineDocument: signature }, certificateChain: { certificateName: 'ota-signer.crt' }, hashAlgorithm: 'SHA256', signatureAlgorithm: 'ECDSA' } },
          },
        ],
        tags: [{ Key: 'release', Value: '2' }],
      }),
    );
    expect(made).toMatchObject({ otaUpdateId: 'custom-1', otaUpdateArn: `arn:aws:iot:${t.server.config.region}:${t.admin.accountId}:otaupdate/custom-1` });
    expect(['CREATE_PENDING', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE']).toContain(made.otaUpdateStatus);

    const info = await settled('custom-1');
    expect(info).toMatchObject({ otaUpdateStatus: 'CREATE_COMPLETE', awsIotJobId: 'AFR_OTA-custom-1', targets: [thingArn('ota-dev-1')], protocols: ['MQTT'], targetSelection: 'SNAPSHOT' });
    expect(info.otaUpdateFiles![0]!.codeSigning!.customCodeSigning!.signature!.inlineDocument).toEqual(new Uint8Array(signature));
    expect(info.creationDate).toBeInstanceOf(Date);

    const doc = await afrOta('AFR_OTA-custom-1');
    expect(doc.protocols).toEqual(['MQTT']);
    expect(doc.streamname).toMatch(/^AFR_OTA-/);
    expect(doc.streamname.length).toBeLessThanOrEqual(44);
    expect(doc.files).toEqual([{ filepath: '/device/fw.bin', filesize: firmware.length, fileid: 0, certfile: 'ota-signer.crt', fileType: 7, 'sig-sha256-ecdsa': signature.toString('base64') }]);
    const stream = await iot.send(new DescribeStreamCommand({ streamId: doc.streamname }));
    expect(stream.streamInfo!.files).toEqual([{ fileId: 0, s3Location: { bucket: src.bucketName, key: src.key, version: src.version } }]);
    const exec = await iot.send(new DescribeJobExecutionCommand({ jobId: 'AFR_OTA-custom-1', thingName: 'ota-dev-1' }));
    expect(exec.execution!.status).toBe('QUEUED');
  });

  it('[CreateOTAUpdate] startSigningJobParameter: our Signer signs the file; the document carries a signature the certificate verifies', async () => {
    const certArn = await certificateArn(t, t.admin, 'EC_prime256v1');
    await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'ota_fw', platformId: 'AmazonFreeRTOS-Default', signingMaterial: { certificateArn: certArn } }));
    const src = await sourceObject(t, t.admin, 'ota/profile.bin', firmware);
    const dest = await bucket(t, t.admin, 'ota-signed');
    await iot.send(
      new CreateOTAUpdateCommand({
        otaUpdateId: 'profile-1',
        targets: [`arn:aws:iot:${t.server.config.region}:${t.admin.accountId}:thinggroup/ota-fleet`],
        targetSelection: 'CONTINUOUS',
        roleArn,
        files: [
          {
            fileName: 'fw.bin',
            fileLocation: { s3Location: { bucket: src.bucketName, key: src.key, version: src.version } },
            codeSigning: {
              startSigningJobParameter: {
                signingProfileName: 'ota_fw',
                signingProfileParameter: { certificatePathOnDevice: 'Code Verify Key' },
                destination: { s3Destination: { bucket: dest, prefix: 'signed/' } },
              },
            },
          },
        ],
      }),
    );
    const info = await settled('profile-1');
    expect(info.errorInfo).toBeUndefined();
    expect(info).toMatchObject({ otaUpdateStatus: 'CREATE_COMPLETE', awsIotJobId: 'AFR_OTA-profile-1', targetSelection: 'CONTINUOUS' });
    expect((await iot.send(new DescribeJobCommand({ jobId: 'AFR_OTA-profile-1' }))).job).toMatchObject({ targetSelection: 'CONTINUOUS', status: 'IN_PROGRESS' });

    const doc = await afrOta('AFR_OTA-profile-1');
    const file = doc.files[0]!;
    expect(file).toMatchObject({ filepath: 'fw.bin', filesize: firmware.length, certfile: 'Code Verify Key' });
    const sig = Buffer.from(file['sig-sha256-ecdsa'] as string, 'base64');
    const acm = new ACMClient({ endpoint: t.url, region: t.server.config.region, credentials: t.admin, maxAttempts: 1 });
    const pem = (await acm.send(new GetCertificateCommand({ CertificateArn: certArn }))).Certificate!;
    const publicKey = createPublicKey(new X509Certificate(pem).publicKey.export({ format: 'pem', type: 'spki' }));
    expect(verify('sha256', firmware, publicKey, sig)).toBe(true);
    expect(verify('sha256', Buffer.concat([firmware, Buffer.from('x')]), publicKey, sig)).toBe(false);
  });

  it('[CreateOTAUpdate] awsSignerJobId: an existing signing job; an unknown one ends CREATE_FAILED with errorInfo', async () => {
    const src = await sourceObject(t, t.admin, 'ota/existing.bin', firmware);
    const dest = await bucket(t, t.admin, 'ota-signed');
    const { jobId } = await t.admin.client.send(
      new StartSigningJobCommand({ profileName: 'ota_fw', source: { s3: { bucketName: src.bucketName, key: src.key, version: src.version } }, destination: { s3: { bucketName: dest, prefix: 'pre/' } } }),
    );
    expect((await settledJob(t.admin.client, jobId!)).status).toBe('Succeeded');
    await iot.send(new CreateOTAUpdateCommand({ otaUpdateId: 'existing-1', targets: [thingArn('ota-dev-1')], roleArn, files: [{ fileName: 'fw.bin', codeSigning: { awsSignerJobId: jobId } }] }));
    const ok = await settled('existing-1');
    expect(ok.otaUpdateStatus).toBe('CREATE_COMPLETE');
    expect((await afrOta('AFR_OTA-existing-1')).files[0]!.filesize).toBe(firmware.length);

    await iot.send(new CreateOTAUpdateCommand({ otaUpdateId: 'bad-job', targets: [thingArn('ota-dev-1')], roleArn, files: [{ fileName: 'fw.bin', codeSigning: { awsSignerJobId: '00000000-0000-0000-0000-000000000000' } }] }));
    const failed = await settled('bad-job');
    expect(failed.otaUpdateStatus).toBe('CREATE_FAILED');
    expect(failed.errorInfo!.message).toMatch(/\S/);
    expect(failed.awsIotJobId).toBeUndefined();
  });

  it('[CreateOTAUpdate] a file already in a stream', async () => {
    const src = await sourceObject(t, t.admin, 'ota/streamed.bin', firmware);
    await iot.send(new CreateStreamCommand({ streamId: 'ota-own-stream', files: [{ fileId: 3, s3Location: { bucket: src.bucketName, key: src.key, version: src.version } }], roleArn }));
    await iot.send(
      new CreateOTAUpdateCommand({
        otaUpdateId: 'streamed-1',
        targets: [thingArn('ota-dev-1')],
        roleArn,
        files: [{ fileName: 'fw.bin', fileLocation: { stream: { streamId: 'ota-own-stream', fileId: 3 } }, codeSigning: { customCodeSigning: { signature: { inlineDocument: new Uint8Array([1, 2, 3]) }, hashAlgorithm: 'SHA256', signatureAlgorithm: 'ECDSA' } } }],
      }),
    );
    expect((await settled('streamed-1')).otaUpdateStatus).toBe('CREATE_COMPLETE');
    expect(await afrOta('AFR_OTA-streamed-1')).toMatchObject({ streamname: 'ota-own-stream', files: [{ fileid: 3, filesize: firmware.length }] });
  });

  it('[CreateOTAUpdate] documented errors: validation from the model, a duplicate id, no MQTT', async () => {
    const files = [{ fileName: 'f', codeSigning: { awsSignerJobId: 'x' } }];
    await expectSdkError(iot.send(new CreateOTAUpdateCommand({ otaUpdateId: 'bad id', targets: [thingArn('ota-dev-1')], roleArn, files })), 'InvalidRequestException', 400, /otaUpdateId/);
    await expectSdkError(iot.send(new CreateOTAUpdateCommand({ otaUpdateId: 'no-targets', targets: [], roleArn, files })), 'InvalidRequestException', 400, /targets/);
    await expectSdkError(iot.send(new CreateOTAUpdateCommand({ otaUpdateId: 'short-role', targets: [thingArn('ota-dev-1')], roleArn: 'r', files })), 'InvalidRequestException', 400, /roleArn/);
    await expectSdkError(iot.send(new CreateOTAUpdateCommand({ otaUpdateId: 'http-only', targets: [thingArn('ota-dev-1')], protocols: ['HTTP'], roleArn, files })), 'InvalidRequestException', 400, /MQTT/);
    await expectSdkError(iot.send(new CreateOTAUpdateCommand({ otaUpdateId: 'custom-1', targets: [thingArn('ota-dev-1')], roleArn, files })), 'ResourceAlreadyExistsException', 409);
    await expectSdkError(iot.send(new GetOTAUpdateCommand({ otaUpdateId: 'no-such-update' })), 'ResourceNotFoundException', 404);
  });

  it('[ListOTAUpdates] pages cover every update once; status filter', async () => {
    const { items, pages } = await allPages(
      (nextToken) => iot.send(new ListOTAUpdatesCommand({ maxResults: 2, nextToken })),
      (p) => p.otaUpdates,
      (p) => p.nextToken,
    );
    const ids = items.map((u) => u.otaUpdateId!);
    expect(ids.sort()).toEqual(['bad-job', 'custom-1', 'existing-1', 'profile-1', 'streamed-1']);
    expect(pages).toBe(3);
    const failed = await iot.send(new ListOTAUpdatesCommand({ otaUpdateStatus: 'CREATE_FAILED' }));
    expect(failed.otaUpdates!.map((u) => u.otaUpdateId)).toEqual(['bad-job']);
  });

  it('[DeleteOTAUpdate] with deleteStream and forceDeleteAWSJob removes the update, its stream and its job', async () => {
    const doc = await afrOta('AFR_OTA-custom-1');
    await iot.send(new DeleteOTAUpdateCommand({ otaUpdateId: 'custom-1', deleteStream: true, forceDeleteAWSJob: true }));
    await expectSdkError(iot.send(new GetOTAUpdateCommand({ otaUpdateId: 'custom-1' })), 'ResourceNotFoundException', 404);
    await expectSdkError(iot.send(new DescribeStreamCommand({ streamId: doc.streamname })), 'ResourceNotFoundException', 404);
    for (;;) {
      // Deleting a job may pass through DELETION_IN_PROGRESS.
      try {
        const j = await iot.send(new DescribeJobCommand({ jobId: 'AFR_OTA-custom-1' }));
        expect(j.job!.status).toBe('DELETION_IN_PROGRESS');
        await new Promise((r) => setTimeout(r, 50));
      } catch (e) {
        expect((e as Error).name).toBe('ResourceNotFoundException');
        break;
      }
    }
    await expectSdkError(iot.send(new DeleteOTAUpdateCommand({ otaUpdateId: 'custom-1' })), 'ResourceNotFoundException', 404);
  });
});
