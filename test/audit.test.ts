import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetSigningProfileCommand, PutSigningProfileCommand, SignPayloadCommand } from '@aws-sdk/client-signer';
import { startTestServer, type TestServer } from './support/server.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t?.stop());

/** `signer audit …` against the test server's data dir: CloudTrail records, one JSON per line. */
async function audit(...args: string[]): Promise<Record<string, any>[]> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', MAIN, 'audit', '--data-dir', t.dataDir, ...args]);
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
}

describe('[Audit] every API call is recorded in the CloudTrail record shape', () => {
  it('records successes and failures with identity, parameters and error code, and never the payload', async () => {
    await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'audited', platformId: 'Notation-OCI-SHA384-ECDSA' }));
    await t.admin.client.send(new GetSigningProfileCommand({ profileName: 'missing_one' })).catch(() => undefined);
    const secretPayload = 'payload-that-must-not-be-audited-1234567890';
    await t.admin.client
      .send(new SignPayloadCommand({ profileName: 'audited', payload: Buffer.from(secretPayload), payloadFormat: 'application/vnd.cncf.notary.payload.v1+json' }))
      .catch(() => undefined);
    await t.server.close().catch(() => undefined); // flush and release the database for the CLI
    const put = await audit('--event-name', 'PutSigningProfile');
    expect(put[0]).toMatchObject({
      eventSource: 'signer.amazonaws.com',
      eventName: 'PutSigningProfile',
      eventType: 'AwsApiCall',
      sourceIPAddress: '127.0.0.1',
      userIdentity: { type: 'Root', accountId: t.admin.accountId, accessKeyId: t.admin.accessKeyId, arn: `arn:aws:iam::${t.admin.accountId}:root` },
      requestParameters: { profileName: 'audited', platformId: 'Notation-OCI-SHA384-ECDSA' },
    });
    expect(Number.isNaN(Date.parse(put[0]!.eventTime))).toBe(false);
    expect(put[0]!.requestID).toMatch(/^[0-9a-f-]{36}$/);
    const failed = await audit('--event-name', 'GetSigningProfile');
    expect(failed[0]).toMatchObject({ errorCode: 'ResourceNotFoundException', requestParameters: { profileName: 'missing_one' } });
    const signed = await audit('--event-name', 'SignPayload');
    expect(signed).toHaveLength(1);
    expect(JSON.stringify(signed)).not.toContain(secretPayload);
    expect(JSON.stringify(signed)).not.toContain(Buffer.from(secretPayload).toString('base64'));
    expect(signed[0]!.requestParameters.payload).toBe('<redacted>');
  });
});
