/**
 * Issue 9, finding 6: a job is checked again when the runner takes it. Jobs are queued while
 * the runner takes nothing (stopped), the profile is then revoked / canceled / the cross-account
 * permission removed, and the server restarts on the same data: every job taken after the change
 * ends Failed with a reason that says why, and nothing is signed. Jobs that finished before the
 * change keep their signature. The test waits for events (the runner's drain), never for time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddProfilePermissionCommand,
  CancelSigningProfileCommand,
  PutSigningProfileCommand,
  RemoveProfilePermissionCommand,
  RevokeSigningProfileCommand,
  StartSigningJobCommand,
} from '@aws-sdk/client-signer';
import { jobInput } from '../support/fixtures.js';
import { startTestServer, type TestAccount, type TestServer } from '../support/server.js';

const LAMBDA = 'AWSLambda-SHA384-ECDSA';
let t: TestServer;
let a: TestAccount;
let b: TestAccount;

beforeAll(async () => {
  t = await startTestServer();
  a = t.admin;
  b = await t.newAccount('b');
});
afterAll(async () => t?.stop());

describe('[Security 6] revocation, cancellation and permission are re-checked when a job is taken', () => {
  it('20 jobs: 2 signed before RevokeSigningProfile, the 18 taken after it end Failed and unsigned; likewise after cancel and permission removal', async () => {
    const revoked = await a.client.send(new PutSigningProfileCommand({ profileName: 'to_revoke', platformId: LAMBDA }));
    await a.client.send(new PutSigningProfileCommand({ profileName: 'to_cancel', platformId: LAMBDA }));
    await a.client.send(new PutSigningProfileCommand({ profileName: 'shared', platformId: LAMBDA }));
    const { revisionId } = await a.client.send(
      new AddProfilePermissionCommand({ profileName: 'shared', action: 'signer:StartSigningJob', principal: b.accountId, statementId: 'b-signs' }),
    );

    // Two jobs signed while the profile is active.
    const early: string[] = [];
    for (let i = 0; i < 2; i++) early.push((await a.client.send(new StartSigningJobCommand(await jobInput(t, a, 'to_revoke')))).jobId!);
    await t.server.jobs.drain();

    // The runner takes nothing more; 18 + 3 + 3 jobs wait in the durable queue.
    await t.server.jobs.stop();
    const queued = { revoke: [] as string[], cancel: [] as string[], permission: [] as string[] };
    for (let i = 0; i < 18; i++) queued.revoke.push((await a.client.send(new StartSigningJobCommand(await jobInput(t, a, 'to_revoke')))).jobId!);
    for (let i = 0; i < 3; i++) queued.cancel.push((await a.client.send(new StartSigningJobCommand(await jobInput(t, a, 'to_cancel')))).jobId!);
    for (let i = 0; i < 3; i++) {
      const input = await jobInput(t, b, 'shared', { profileOwner: a.accountId });
      queued.permission.push((await b.client.send(new StartSigningJobCommand(input))).jobId!);
    }

    await a.client.send(
      new RevokeSigningProfileCommand({ profileName: 'to_revoke', profileVersion: revoked.profileVersion!, reason: 'key compromised', effectiveTime: new Date(Date.now() - 1_000) }),
    );
    await a.client.send(new CancelSigningProfileCommand({ profileName: 'to_cancel' }));
    await a.client.send(new RemoveProfilePermissionCommand({ profileName: 'shared', statementId: 'b-signs', revisionId: revisionId! }));

    // Restart on the same data: the runner resumes the queue (recover) after the changes.
    const dataDir = t.dataDir;
    await t.stop({ keepData: true });
    t = await startTestServer({ dataDir });
    await t.server.jobs.drain();

    for (const id of early) {
      const j = await t.server.store.getJob(id);
      expect({ status: j?.status, signed: j?.signedObject !== undefined }).toEqual({ status: 'Succeeded', signed: true });
    }
    const expectFailed = async (ids: string[], reason: RegExp) => {
      for (const id of ids) {
        const j = await t.server.store.getJob(id);
        expect(j?.status).toBe('Failed');
        expect(j?.statusReason).toMatch(reason);
        expect(j?.signedObject).toBeUndefined();
        expect(j?.rawSignature).toBeUndefined();
      }
    };
    await expectFailed(queued.revoke, /Revoked \(key compromised\) before the job was signed/);
    await expectFailed(queued.cancel, /Canceled .*before the job was signed/);
    await expectFailed(queued.permission, /no longer holds signer:StartSigningJob on signing profile shared/);

    // Nothing landed in the destination buckets for the refused jobs.
    for (const who of [a, b]) {
      const listed = await t.server.objects.listObjectsV2(`dst-${who.accountId}`, { maxKeys: 1_000 });
      const keys = listed.objects.map((o) => o.key).join('\n');
      for (const id of [...queued.revoke, ...queued.cancel, ...queued.permission]) expect(keys).not.toContain(id);
    }
  });
});
