/**
 * Tags on the resources the OTA path makes, through @aws-sdk/client-iot: a stream and a thing group
 * keep the tags given at creation and later ones, a deleted stream's tags go with it, and the
 * AFR_OTA job and stream that CreateOTAUpdate makes stay untagged while the update keeps its own.
 */
import { CreateStreamCommand, CreateThingGroupCommand, DeleteStreamCommand, DescribeStreamCommand, ListTagsForResourceCommand, TagResourceCommand, UntagResourceCommand, CreateOTAUpdateCommand, GetOTAUpdateCommand, CreateThingCommand } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iotClient } from './support/iot.js';
import { firmware, ROLE, uploadFirmware } from './support/ota.js';
import { startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.stop();
});

const tagsOf = async (resourceArn: string) => (await iotClient(t).send(new ListTagsForResourceCommand({ resourceArn }))).tags ?? [];

describe('tags on streams, thing groups and OTA updates', () => {
  it('a stream keeps its creation tags and later ones; deleting it forgets them', async () => {
    const iot = iotClient(t);
    const src = await uploadFirmware(t, 'tagged.bin', firmware({ major: 1, minor: 0, build: 1 }, 4_000));
    const made = await iot.send(new CreateStreamCommand({ streamId: 'tag-stream', files: [{ fileId: 0, s3Location: src }], roleArn: ROLE, tags: [{ Key: 'fleet', Value: 'a' }] }));
    expect(await tagsOf(made.streamArn!)).toEqual([{ Key: 'fleet', Value: 'a' }]);
    await iot.send(new TagResourceCommand({ resourceArn: made.streamArn!, tags: [{ Key: 'release', Value: '7' }] }));
    await iot.send(new UntagResourceCommand({ resourceArn: made.streamArn!, tagKeys: ['fleet'] }));
    expect(await tagsOf(made.streamArn!)).toEqual([{ Key: 'release', Value: '7' }]);
    await iot.send(new DeleteStreamCommand({ streamId: 'tag-stream' }));
    await expect(iot.send(new DescribeStreamCommand({ streamId: 'tag-stream' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    const again = await iot.send(new CreateStreamCommand({ streamId: 'tag-stream', files: [{ fileId: 0, s3Location: src }], roleArn: ROLE }));
    expect(await tagsOf(again.streamArn!)).toEqual([]);
  });

  it('a thing group and an OTA update keep their own tags; the AFR_OTA job and stream are not tagged with them', async () => {
    const iot = iotClient(t);
    const g = await iot.send(new CreateThingGroupCommand({ thingGroupName: 'tag-fleet', tags: [{ Key: 'site', Value: 'lab' }] }));
    expect(await tagsOf(g.thingGroupArn!)).toEqual([{ Key: 'site', Value: 'lab' }]);
    await iot.send(new CreateThingCommand({ thingName: 'tag-dev' }));
    const src = await uploadFirmware(t, 'tagged-ota.bin', firmware({ major: 1, minor: 1, build: 0 }, 4_000));
    const u = await iot.send(
      new CreateOTAUpdateCommand({
        otaUpdateId: 'tag-ota',
        targets: [g.thingGroupArn!],
        roleArn: ROLE,
        tags: [{ Key: 'change', Value: 'CR-1' }],
        files: [{ fileName: 'fw.bin', fileLocation: { s3Location: src }, codeSigning: { customCodeSigning: { signature: { inlineDocument: new Uint8Array(70).fill(1) }, hashAlgorithm: 'SHA256', signatureAlgorithm: 'ECDSA', certificateChain: { certificateName: 'ota.crt' } } } }],
      }),
    );
    expect(await tagsOf(u.otaUpdateArn!)).toEqual([{ Key: 'change', Value: 'CR-1' }]);
    let info = (await iot.send(new GetOTAUpdateCommand({ otaUpdateId: 'tag-ota' }))).otaUpdateInfo!;
    for (let i = 0; i < 600 && info.otaUpdateStatus !== 'CREATE_COMPLETE' && info.otaUpdateStatus !== 'CREATE_FAILED'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      info = (await iot.send(new GetOTAUpdateCommand({ otaUpdateId: 'tag-ota' }))).otaUpdateInfo!;
    }
    expect(info.otaUpdateStatus).toBe('CREATE_COMPLETE');
    expect(await tagsOf(info.awsIotJobArn!)).toEqual([]);
  });
});
