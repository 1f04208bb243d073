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

/** How long a read-only event may wait to be committed with others. */
const READ_BATCH_MS = 10;

/**
 * Appends one CloudTrail-shaped record per API call, batching commits (a SQLite commit per request
 * would cost more than most requests):
 * - `durable` records (calls that change state) are committed at the end of the current event-loop
 *   turn, and `record` resolves only then, so the server answers a mutating call after its audit
 *   entry is on disk;
 * - read-only records join a batch committed within {@link READ_BATCH_MS} ms (or sooner, with the
 *   next durable record). A crash can lose at most that window of read events.
 */
export class AuditTrail {
  private pending: { rec: AuditRecord; done: () => void; fail: (e: unknown) => void }[] = [];
  private immediate = false;
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly store: StateStore) {}

  record(e: AuditInput, opts: { durable: boolean } = { durable: true }): Promise<void> {
    const rec: AuditRecord = {
      eventId: randomUUID(),
      eventTime: new Date(),
      ...e,
      requestParameters: e.requestParameters ? (redact(e.requestParameters) as Record<string, unknown>) : undefined,
    };
    return new Promise((done, fail) => {
      this.pending.push({ rec, done, fail });
      if (opts.durable) {
        if (!this.immediate) {
          this.immediate = true;
          setImmediate(() => void this.flush());
        }
      } else if (!this.timer && !this.immediate) {
        this.timer = setTimeout(() => void this.flush(), READ_BATCH_MS);
        this.timer.unref();
      }
    });
  }

  /** Writes everything pending now. */
  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.immediate = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
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
