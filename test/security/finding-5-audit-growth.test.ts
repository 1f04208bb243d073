/**
 * Issue 9, finding 5: unauthenticated traffic must not grow the audit trail one row per request,
 * a User-Agent is stored truncated, an authenticated request with 40,000 invalid tag keys gets a
 * bounded error and a bounded record, and an oversize SignPayload error never echoes the payload.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutSigningProfileCommand } from '@aws-sdk/client-signer';
import { AUDIT_LIMITS } from '../../src/events/audit-trail.js';
import { MAX_AUDIT_RECORD_BYTES, type SqliteStateStore } from '../../src/store/index.js';
import { rawRequest, type RawResponse } from '../support/raw.js';
import { startTestServer, type TestServer } from '../support/server.js';

let t: TestServer;
let store: SqliteStateStore;
beforeAll(async () => {
  t = await startTestServer();
  store = t.server.store as SqliteStateStore;
});
afterAll(async () => t?.stop());

const auditRows = () => store.db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(data)), 0) AS bytes FROM audit').get() as { n: number; bytes: number };
const creds = () => ({ accessKeyId: t.admin.accessKeyId, secretAccessKey: t.admin.secretAccessKey });
async function recordOf(res: RawResponse) {
  const recs = (await store.queryAudit({}, 100_000)).filter((r) => r.requestId === res.requestId);
  expect(recs).toHaveLength(1);
  return recs[0]!;
}

/** Waits (bounded by the test timeout) until the trail's batch has counted `n` unauthenticated failures. */
async function countedUnauthenticated(since: Date, n: number): Promise<number> {
  for (;;) {
    const total = (await store.queryUnauthenticatedCounts(since)).reduce((s, c) => s + c.count, 0);
    if (total >= n) return total;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('[Security 5] unauthenticated failures are counted and sampled, not stored one row each', () => {
  it('1,000 unsigned requests with a 15 KB User-Agent add at most a few sampled rows, each with a truncated User-Agent', async () => {
    const since = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const before = auditRows();
    const ua = 'U'.repeat(15_000);
    const statuses = new Map<number, number>();
    const one = async () => {
      const res = await fetch(`${t.url}/signing-profiles`, { headers: { 'user-agent': ua } });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    };
    for (let i = 0; i < 1_000; i += 25) await Promise.all(Array.from({ length: 25 }, one));
    expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
    expect(await countedUnauthenticated(since, 1_000)).toBe(1_000);
    const after = auditRows();
    // The requests may straddle a minute boundary: two minutes' samples at most.
    expect(after.n - before.n).toBeLessThanOrEqual(2 * AUDIT_LIMITS.unauthenticatedSamplesPerMinute);
    expect(after.bytes - before.bytes).toBeLessThan(2 * AUDIT_LIMITS.unauthenticatedSamplesPerMinute * 2_048);
    const samples = (await store.queryAudit({ eventName: 'ListSigningProfiles' }, 1_000)).filter((r) => r.accountId === undefined);
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) {
      expect(s.errorCode).toMatch(/Exception$/);
      expect(s.userAgent!.length).toBeLessThanOrEqual(AUDIT_LIMITS.userAgent + 20);
    }
    const counts = await store.queryUnauthenticatedCounts(since);
    expect(counts.every((c) => c.eventSource === 'signer.amazonaws.com' && /Exception$/.test(c.reason))).toBe(true);
  });

  it('an authenticated call stores its User-Agent truncated', async () => {
    const res = await rawRequest(t.url, { method: 'GET', path: '/signing-profiles/absent_profile', credentials: creds(), headers: { 'user-agent': 'V'.repeat(10_000) } });
    expect(res.status).toBe(404);
    const rec = await recordOf(res);
    expect(rec.userAgent!.length).toBeLessThanOrEqual(AUDIT_LIMITS.userAgent + 20);
  });
});

describe('[Security 5] bounded answers and records for huge invalid input', () => {
  it('PutSigningProfile with 40,000 invalid tag keys: a short error that counts the rest, and a bounded record', async () => {
    const tags = Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`bad key ${i}`, 'v']));
    const res = await rawRequest(t.url, { method: 'PUT', path: '/signing-profiles/many_tags', body: { platformId: 'AWSLambda-SHA384-ECDSA', tags }, credentials: creds() });
    expect(res.status).toBe(400);
    expect(res.errorType).toBe('ValidationException');
    expect(res.text.length).toBeLessThan(8_192);
    expect(String(res.json?.message)).toMatch(/validation errors detected: .*…and [\d,]+ more$/);
    expect(String(res.json?.message)).toMatch(/^[\d,]+ validation errors detected/);
    const rec = await recordOf(res);
    expect(rec.errorCode).toBe('ValidationException');
    expect(Buffer.byteLength(JSON.stringify(rec))).toBeLessThanOrEqual(MAX_AUDIT_RECORD_BYTES);
    expect(await store.getProfile(t.admin.accountId, 'many_tags')).toBeUndefined();
  });

  it('an oversize SignPayload payload is measured in the error and the record, never quoted', async () => {
    await t.admin.client.send(new PutSigningProfileCommand({ profileName: 'notary_big', platformId: 'Notation-OCI-SHA384-ECDSA' }));
    const marker = 'PAYLOAD-SECRET-MARKER-';
    const payload = Buffer.from(marker.repeat(Math.ceil(5_000 / marker.length)));
    const res = await rawRequest(t.url, {
      method: 'POST',
      path: '/signing-jobs/with-payload',
      body: { profileName: 'notary_big', payload: payload.toString('base64'), payloadFormat: 'application/vnd.cncf.notary.payload.v1+json' },
      credentials: creds(),
    });
    expect(res.status).toBe(400);
    const rec = await recordOf(res);
    for (const text of [res.text, JSON.stringify(rec)]) {
      expect(text).not.toContain(marker);
      expect(text).not.toContain(payload.toString('base64').slice(0, 24));
      expect(text).not.toMatch(/"0":\d+,"1":\d+/);
      expect(text).not.toContain(`${payload[0]},${payload[1]},${payload[2]}`);
    }
    expect(String(res.json?.message)).toContain(`<${payload.length} bytes>`);
  });

  it('a non-base64 payload is not quoted either', async () => {
    const res = await rawRequest(t.url, {
      method: 'POST',
      path: '/signing-jobs/with-payload',
      body: { profileName: 'notary_big', payload: 'NOT*BASE64*SECRET*TEXT', payloadFormat: 'application/vnd.cncf.notary.payload.v1+json' },
      credentials: creds(),
    });
    expect(res.status).toBe(400);
    expect(res.text).not.toContain('SECRET');
    expect(JSON.stringify(await recordOf(res))).not.toContain('SECRET');
  });
});
