import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetSigningProfileCommand, ListSigningPlatformsCommand, PutSigningProfileCommand } from '@aws-sdk/client-signer';
import { startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.stop());

describe('Signer API through @aws-sdk/client-signer', () => {
  it('[ListSigningPlatforms] lists the five AWS platforms', async () => {
    const out = await t.admin.client.send(new ListSigningPlatformsCommand({ category: 'AWS' }));
    expect(out.platforms?.map((p) => p.platformId)).toEqual([
      'AWSIoTDeviceManagement-SHA256-ECDSA',
      'AWSLambda-SHA384-ECDSA',
      'AmazonFreeRTOS-Default',
      'AmazonFreeRTOS-TI-CC3220SF',
      'Notation-OCI-SHA384-ECDSA',
    ]);
  });
  it('[PutSigningProfile] then [GetSigningProfile] round-trips a Lambda profile', async () => {
    const put = await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'smoke_1', platformId: 'AWSLambda-SHA384-ECDSA', tags: { team: 'fw' } }));
    expect(put.profileVersion).toMatch(/^[a-zA-Z0-9]{10}$/);
    expect(put.profileVersionArn).toBe(`${put.arn}/${put.profileVersion}`);
    const got = await t.admin.client.send(new GetSigningProfileCommand({ profileName: 'smoke_1' }));
    expect(got.status).toBe('Active');
    expect(got.signatureValidityPeriod).toEqual({ value: 135, type: 'MONTHS' });
    expect(got.tags).toEqual({ team: 'fw' });
  });
});
