/**
 * Issue 9, finding 2: a state change must never escape the audit trail. Every state-changing
 * Signer and ACM operation is driven with a hostile body (an extra member nested 100,000 arrays
 * deep and a 300,000-character string) over real SigV4 HTTP, and then with a failure injected
 * at audit-write time (a SQLite trigger refusing audit rows): the change happens if and only if
 * its record is committed, and a record is bounded whatever the body held.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddProfilePermissionCommand, PutSigningProfileCommand, StartSigningJobCommand } from '@aws-sdk/client-signer';
import { AuditTrail, boundedParameters } from '../../src/events/audit-trail.js';
import { createTestCa, issueCodeSigningCertificate, type TestCa } from '../../src/keys/test-ca.js';
import { MAX_AUDIT_RECORD_BYTES, runInAuditScope, SqliteStateStore, type AuditRecord } from '../../src/store/index.js';
import { certificateArn, jobInput, notaryPayload, settledJob } from '../support/fixtures.js';
import { rawRequest, type RawRequest, type RawResponse } from '../support/raw.js';
import { startTestServer, type TestServer } from '../support/server.js';

let t: TestServer;
let store: SqliteStateStore;
let ca: TestCa;
const LAMBDA = 'AWSLambda-SHA384-ECDSA';
const NOTATION = 'Notation-OCI-SHA384-ECDSA';

beforeAll(async () => {
  t = await startTestServer();
  store = t.server.store as SqliteStateStore;
  ca = await createTestCa({ dir: mkdtempSync(join(t.dataDir, 'ca-')) });
});
afterAll(async () => t?.stop());

/** 100,000 nested arrays and a 300,000-character string, as extra members of a JSON body. */
const DEEP = '['.repeat(100_000) + ']'.repeat(100_000);
const HUGE = 'A'.repeat(300_000);
function hostile(body: Record<string, unknown> | undefined): string {
  const json = JSON.stringify(body ?? {});
  return `${json.slice(0, -1)}${json.length > 2 ? ',' : ''}"Junk":${DEEP},"Huge":"${HUGE}"}`;
}

/** One state-changing call: the request, and how to see whether its change happened. */
interface Case {
  op: string;
  prepare(): Promise<{ request: RawRequest; body?: Record<string, unknown>; changed(): Promise<boolean> }>;
}

const name = () => `p_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
const arnOf = (p: string) => `arn:aws:signer:${t.server.config.region}:${t.admin.accountId}:/signing-profiles/${p}`;
const profile = (p: string) => store.getProfile(t.admin.accountId, p);
async function putProfile(platformId = LAMBDA, tags?: Record<string, string>): Promise<{ name: string; version: string }> {
  const n = name();
  const out = await t.admin.client.send(new PutSigningProfileCommand({ profileName: n, platformId, tags }));
  return { name: n, version: out.profileVersion! };
}
const acm = (op: string): Pick<RawRequest, 'method' | 'path' | 'service' | 'headers'> => ({
  method: 'POST',
  path: '/',
  service: 'acm',
  headers: { 'x-amz-target': `CertificateManager.${op}`, 'content-type': 'application/x-amz-json-1.1' },
});
const b64 = (s: string) => Buffer.from(s).toString('base64');
async function certTags(arn: string): Promise<{ Key: string; Value?: string }[] | undefined> {
  try {
    return (await t.server.certificates.getCertificate(arn, { accountId: t.admin.accountId, region: t.server.config.region })).record.tags;
  } catch {
    return undefined;
  }
}

const CASES: Case[] = [
  {
    op: 'PutSigningProfile',
    async prepare() {
      const n = name();
      return { request: { method: 'PUT', path: `/signing-profiles/${n}` }, body: { platformId: LAMBDA }, changed: async () => (await profile(n)) !== undefined };
    },
  },
  {
    op: 'CancelSigningProfile',
    async prepare() {
      const p = await putProfile();
      return { request: { method: 'DELETE', path: `/signing-profiles/${p.name}` }, changed: async () => (await profile(p.name))?.status === 'Canceled' };
    },
  },
  {
    op: 'RevokeSigningProfile',
    async prepare() {
      const p = await putProfile();
      return {
        request: { method: 'PUT', path: `/signing-profiles/${p.name}/revoke` },
        body: { profileVersion: p.version, reason: 'compromised', effectiveTime: Math.floor(Date.now() / 1000) - 60 },
        changed: async () => (await profile(p.name))?.status === 'Revoked' || (await store.getProfileVersion(t.admin.accountId, p.name, p.version))?.revocation !== undefined,
      };
    },
  },
  {
    op: 'AddProfilePermission',
    async prepare() {
      const p = await putProfile();
      return {
        request: { method: 'POST', path: `/signing-profiles/${p.name}/permissions` },
        body: { action: 'signer:StartSigningJob', principal: '123456789012', statementId: 's1' },
        changed: async () => (await store.getPolicy(t.admin.accountId, p.name)) !== undefined,
      };
    },
  },
  {
    op: 'RemoveProfilePermission',
    async prepare() {
      const p = await putProfile();
      const { revisionId } = await t.admin.client.send(
        new AddProfilePermissionCommand({ profileName: p.name, action: 'signer:StartSigningJob', principal: '123456789012', statementId: 's1' }),
      );
      return {
        request: { method: 'DELETE', path: `/signing-profiles/${p.name}/permissions/s1`, query: { revisionId: revisionId! } },
        changed: async () => (await store.getPolicy(t.admin.accountId, p.name))?.statements.length === 0,
      };
    },
  },
  {
    op: 'TagResource',
    async prepare() {
      const p = await putProfile();
      return {
        request: { method: 'POST', path: `/tags/${encodeURIComponent(arnOf(p.name))}` },
        body: { tags: { team: 'fw' } },
        changed: async () => (await profile(p.name))?.tags.team === 'fw',
      };
    },
  },
  {
    op: 'UntagResource',
    async prepare() {
      const p = await putProfile(LAMBDA, { team: 'fw' });
      return {
        request: { method: 'DELETE', path: `/tags/${encodeURIComponent(arnOf(p.name))}`, query: { tagKeys: 'team' } },
        changed: async () => (await profile(p.name))?.tags.team === undefined,
      };
    },
  },
  {
    op: 'StartSigningJob',
    async prepare() {
      const p = await putProfile();
      const token = randomUUID();
      const input = await jobInput(t, t.admin, p.name);
      return {
        request: { method: 'POST', path: '/signing-jobs' },
        body: { ...input, clientRequestToken: token },
        changed: async () => (await store.listJobs({ visibleTo: t.admin.accountId }, undefined, 10_000)).items.some((j) => j.clientRequestToken === token),
      };
    },
  },
  {
    op: 'SignPayload',
    async prepare() {
      const p = await putProfile(NOTATION);
      const count = async () => (await store.listJobs({ visibleTo: t.admin.accountId }, undefined, 10_000)).items.filter((j) => j.profileName === p.name).length;
      return {
        request: { method: 'POST', path: '/signing-jobs/with-payload' },
        body: { profileName: p.name, payload: Buffer.from(notaryPayload()).toString('base64'), payloadFormat: 'application/vnd.cncf.notary.payload.v1+json' },
        changed: async () => (await count()) > 0,
      };
    },
  },
  {
    op: 'RevokeSignature',
    async prepare() {
      const p = await putProfile();
      const { jobId } = await t.admin.client.send(new StartSigningJobCommand(await jobInput(t, t.admin, p.name)));
      expect((await settledJob(t.admin.client, jobId!)).status).toBe('Succeeded');
      return {
        request: { method: 'PUT', path: `/signing-jobs/${jobId}/revoke` },
        body: { reason: 'key leaked' },
        changed: async () => (await store.getJob(jobId!))?.revocation !== undefined,
      };
    },
  },
  {
    op: 'ImportCertificate',
    async prepare() {
      const issued = await issueCodeSigningCertificate({ ca, subject: `CN=audit ${randomUUID()}` });
      const owner = { accountId: t.admin.accountId, region: t.server.config.region };
      const before = (await t.server.certificates.listCertificates(owner)).length;
      return {
        request: acm('ImportCertificate'),
        body: { Certificate: b64(issued.certificatePem), PrivateKey: b64(issued.privateKeyPem), CertificateChain: b64(issued.chainPem) },
        changed: async () => (await t.server.certificates.listCertificates(owner)).length > before,
      };
    },
  },
  {
    op: 'DeleteCertificate',
    async prepare() {
      const arn = await certificateArn(t, t.admin);
      return { request: acm('DeleteCertificate'), body: { CertificateArn: arn }, changed: async () => (await certTags(arn)) === undefined };
    },
  },
  {
    op: 'AddTagsToCertificate',
    async prepare() {
      const arn = await certificateArn(t, t.admin);
      return {
        request: acm('AddTagsToCertificate'),
        body: { CertificateArn: arn, Tags: [{ Key: 'team', Value: 'fw' }] },
        changed: async () => (await certTags(arn))?.some((x) => x.Key === 'team') === true,
      };
    },
  },
  {
    op: 'RemoveTagsFromCertificate',
    async prepare() {
      const arn = await certificateArn(t, t.admin);
      await t.server.certificates.setTags(arn, [{ Key: 'team', Value: 'fw' }]);
      return {
        request: acm('RemoveTagsFromCertificate'),
        body: { CertificateArn: arn, Tags: [{ Key: 'team' }] },
        changed: async () => (await certTags(arn))?.some((x) => x.Key === 'team') === false,
      };
    },
  },
];

async function recordsOf(res: RawResponse, op: string): Promise<AuditRecord[]> {
  expect(res.requestId).toMatch(/\S/);
  return (await store.queryAudit({ eventName: op }, 100_000)).filter((r) => r.requestId === res.requestId);
}

function send(request: RawRequest, body: string | undefined): Promise<RawResponse> {
  return rawRequest(t.url, { ...request, body, credentials: { accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey } });
}

describe('[Security 2] change ⇔ audit record, for every state-changing operation', () => {
  it.each(CASES.map((c) => [c.op, c] as const))('%s with a 100,000-deep extra member and a 300 KB string', async (op, c) => {
    const { request, body, changed } = await c.prepare();
    const res = await send(request, hostile(body));
    const recs = await recordsOf(res, op);
    const didChange = await changed();
    // Either outcome is acceptable (the body may be refused before the handler runs); what is
    // never acceptable is a change without a record, or an answer that hides a change.
    expect({ status: res.status, changed: didChange }).toEqual({ status: res.status, changed: res.status < 300 });
    expect(recs).toHaveLength(1);
    expect(recs[0]!.errorCode === undefined).toBe(res.status < 300);
    const text = JSON.stringify(recs[0]);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_AUDIT_RECORD_BYTES);
    expect(text).not.toContain('Junk');
    expect(text).not.toContain('A'.repeat(300));
    expect(res.status).toBeLessThan(500);
  });

  it.each(CASES.map((c) => [c.op, c] as const))('%s: when the audit row cannot be written, the change rolls back and the client gets an error', async (op, c) => {
    const { request, body, changed } = await c.prepare();
    store.db.exec(`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END`);
    let res: RawResponse;
    try {
      res = await send(request, body === undefined ? undefined : JSON.stringify(body));
    } finally {
      store.db.exec('DROP TRIGGER refuse_audit');
    }
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(await changed()).toBe(false);
    expect(await recordsOf(res, op)).toHaveLength(0);
    // The same call succeeds once the trail accepts records again, with exactly one record.
    const again = await send(request, body === undefined ? undefined : JSON.stringify(body));
    expect(again.status).toBeLessThan(300);
    expect(await changed()).toBe(true);
    expect(await recordsOf(again, op)).toHaveLength(1);
  });
});

describe('[Security 2] the store writes a change and its record in one transaction', () => {
  const record = (params: Record<string, unknown>): AuditRecord => ({
    eventId: randomUUID(),
    eventTime: new Date(),
    eventName: 'PutSigningProfile',
    eventSource: 'signer.amazonaws.com',
    accountId: '111122223333',
    sourceIPAddress: '127.0.0.1',
    requestId: randomUUID(),
    requestParameters: params,
  });
  const profileRecord = (n: string) => ({
    profile: { accountId: '111122223333', profileName: n, status: 'Active' as const, tags: {}, createdAt: new Date(), updatedAt: new Date() },
    version: {
      accountId: '111122223333', profileName: n, profileVersion: 'v000000001', platformId: LAMBDA,
      signatureValidityPeriod: { value: 1, type: 'YEARS' as const }, createdAt: new Date(),
    },
  });

  it('a record too large to store rolls the change back', async () => {
    const s = SqliteStateStore.open(':memory:');
    const { profile: p, version } = profileRecord('too_large');
    const pending = { record: record({ blob: 'x'.repeat(MAX_AUDIT_RECORD_BYTES) }), written: false, closed: false };
    await expect(runInAuditScope(pending, () => s.putProfileVersion(p, version, undefined))).rejects.toThrow(/audit record/);
    expect(await s.getProfile('111122223333', 'too_large')).toBeUndefined();
    expect(await s.queryAudit({}, 10)).toHaveLength(0);
    expect(pending.written).toBe(false);
    await s.close();
  });

  it('a change made in a scope carries its record; a write that changed nothing does not consume it', async () => {
    const s = SqliteStateStore.open(':memory:');
    const { profile: p, version } = profileRecord('fits');
    const pending = { record: record({ profileName: 'fits' }), written: false, closed: false };
    await runInAuditScope(pending, async () => {
      // Compare-and-swap that fails: nothing changes, the record stays pending.
      expect(await s.putProfileVersion(p, version, 'not-the-current-version')).toBe(false);
      expect(pending.written).toBe(false);
      expect(await s.putProfileVersion(p, version, undefined)).toBe(true);
    });
    expect(pending.written).toBe(true);
    const rows = await s.queryAudit({}, 10);
    expect(rows.map((r) => r.requestId)).toEqual([pending.record.requestId]);
    await s.close();
  });

  it('boundedParameters keeps a bounded, redacted view of any input, without walking what it drops', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const tags = Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`k${i}`, 'v']));
    const out = boundedParameters({ deep, tags, payload: new Uint8Array(4096), PrivateKey: 'secret', long: 'x'.repeat(100_000), list: new Array(50_000).fill('y') });
    const text = JSON.stringify(out);
    expect(Buffer.byteLength(text)).toBeLessThan(8_192);
    expect(text).toContain('nested too deep');
    expect(text).toContain('and 39975 more');
    expect(text).toContain('…and 49975 more');
    expect(text).not.toContain('secret');
    expect(out.payload).toBe('<redacted>');
    const trail = new AuditTrail(s0());
    const built = trail.build({ eventName: 'X', eventSource: 's', sourceIPAddress: 'ip', requestId: 'r', userAgent: 'u'.repeat(15_000), requestParameters: { deep } });
    expect(built.userAgent!.length).toBeLessThan(300);
  });
});

function s0() {
  return SqliteStateStore.open(':memory:');
}
