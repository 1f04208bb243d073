import { randomUUID } from 'node:crypto';
import type { AuditRecord, StateStore } from '../store/index.js';

/** Request members never written to the audit trail (payloads and anything secret). */
const REDACTED = new Set(['payload', 'PrivateKey', 'privateKey', 'secretAccessKey', 'Certificate', 'CertificateChain']);

/** What a caller records; the trail adds the event id and time. */
export type AuditInput = Omit<AuditRecord, 'eventId' | 'eventTime'>;

function redact(v: unknown): unknown {
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, REDACTED.has(k) ? '<redacted>' : redact(x)]));
  }
  return v;
}

/**
 * Appends one CloudTrail-shaped record per API call. Records made in the same event-loop turn
 * are written in one transaction (a commit per request would cost more than the request);
 * `record` resolves once its record is durable, so a response is never sent before its audit entry.
 */
export class AuditTrail {
  private pending: { rec: AuditRecord; done: () => void; fail: (e: unknown) => void }[] = [];
  private scheduled = false;
  constructor(private readonly store: StateStore) {}

  record(e: AuditInput): Promise<void> {
    const rec: AuditRecord = {
      eventId: randomUUID(),
      eventTime: new Date(),
      ...e,
      requestParameters: e.requestParameters ? (redact(e.requestParameters) as Record<string, unknown>) : undefined,
    };
    return new Promise((done, fail) => {
      this.pending.push({ rec, done, fail });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Writes everything pending now. */
  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    if (batch.length === 0) return;
    try {
      await this.store.appendAudit(batch.map((b) => b.rec));
      for (const b of batch) b.done();
    } catch (e) {
      for (const b of batch) b.fail(e);
    }
  }

  /** The CloudTrail record shape of a stored audit record. */
  static toCloudTrail(r: AuditRecord): Record<string, unknown> {
    return {
      eventVersion: '1.08',
      eventTime: r.eventTime.toISOString(),
      eventSource: r.eventSource,
      eventName: r.eventName,
      awsRegion: undefined,
      sourceIPAddress: r.sourceIPAddress,
      userAgent: r.userAgent,
      userIdentity: r.accountId
        ? { type: r.principalArn?.endsWith(':root') ? 'Root' : 'IAMUser', arn: r.principalArn, accountId: r.accountId, accessKeyId: r.accessKeyId }
        : { type: 'Unknown' },
      requestParameters: r.requestParameters ?? null,
      responseElements: null,
      requestID: r.requestId,
      eventID: r.eventId,
      eventType: 'AwsApiCall',
      ...(r.errorCode ? { errorCode: r.errorCode, errorMessage: r.errorMessage } : {}),
    };
  }
}
