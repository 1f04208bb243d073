import { randomUUID } from 'node:crypto';
import { runInAuditScope, type AuditRecord, type PendingAudit, type StateStore, type UnauthenticatedCount } from '../store/index.js';

/** Request members never written to the audit trail (payloads and anything secret). */
const REDACTED = new Set(['payload', 'PrivateKey', 'privateKey', 'secretAccessKey', 'Certificate', 'CertificateChain']);

/** What a caller records; the trail adds the event id and time. */
export type AuditInput = Omit<AuditRecord, 'eventId' | 'eventTime'>;

/**
 * Bounds of one audit record. Together they keep a record well under the store's row limit
 * (`MAX_AUDIT_RECORD_BYTES`, 16 KiB) whatever the request carried.
 */
export const AUDIT_LIMITS = Object.freeze({
  /** User-Agent characters kept. */
  userAgent: 256,
  /** errorMessage characters kept. */
  errorMessage: 512,
  /** Characters kept of one string request parameter. */
  string: 256,
  /** Nesting levels of request parameters kept; deeper values become a marker. */
  depth: 6,
  /** List items / map entries kept per level; the rest are counted ("…and N more"). */
  items: 25,
  /** Encoded bytes of all request parameters together; past it, values become a marker. */
  parameterBytes: 6_144,
  /** Sampled records of unauthenticated failures kept per minute (all of them are counted). */
  unauthenticatedSamplesPerMinute: 10,
});

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…(${s.length} chars)`;
}

/**
 * Request parameters as the audit trail stores them: secrets and payloads redacted, strings
 * truncated, lists and maps cut to {@link AUDIT_LIMITS.items} with a count of the rest, nesting
 * cut at {@link AUDIT_LIMITS.depth}, and the whole within {@link AUDIT_LIMITS.parameterBytes}.
 * Work is bounded by those limits, never by the size or depth of what the client sent.
 */
export function boundedParameters(v: Record<string, unknown>): Record<string, unknown> {
  const budget = { left: AUDIT_LIMITS.parameterBytes };
  const out = bound(v, 0, budget);
  return out !== null && typeof out === 'object' && !Array.isArray(out) ? (out as Record<string, unknown>) : { value: out };
}

function bound(v: unknown, depth: number, budget: { left: number }): unknown {
  if (budget.left <= 0) return '<truncated>';
  if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'number') {
    budget.left -= 8;
    return v;
  }
  if (typeof v === 'string') {
    const s = truncate(v, AUDIT_LIMITS.string);
    budget.left -= Buffer.byteLength(JSON.stringify(s));
    return s;
  }
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (v instanceof Date) return v.toISOString();
  if (typeof v !== 'object') return `<${typeof v}>`;
  if (depth >= AUDIT_LIMITS.depth) return '<truncated: nested too deep>';
  budget.left -= 2;
  if (Array.isArray(v)) {
    const n = Math.min(v.length, AUDIT_LIMITS.items);
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(bound(v[i], depth + 1, budget));
    if (v.length > n) out.push(`…and ${v.length - n} more`);
    return out;
  }
  const out: Record<string, unknown> = {};
  let kept = 0;
  let total = 0;
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    total++;
    if (kept >= AUDIT_LIMITS.items) continue;
    kept++;
    const key = truncate(k, AUDIT_LIMITS.string);
    budget.left -= Buffer.byteLength(JSON.stringify(key)) + 1;
    out[key] = REDACTED.has(k) ? '<redacted>' : bound((v as Record<string, unknown>)[k], depth + 1, budget);
  }
  if (total > kept) out['…'] = `and ${total - kept} more`;
  return out;
}

/** How long a read-only event may wait to be committed with others. */
const READ_BATCH_MS = 10;

/**
 * Appends one CloudTrail-shaped record per authenticated API call, bounded and redacted:
 * - a call that changes state opens a {@link PendingAudit} scope ({@link open}/{@link within});
 *   the store commits the record in the same SQLite transaction as the change, so the change
 *   and its record exist together or not at all. A call that changed nothing gets its record
 *   written before it answers ({@link settle});
 * - read-only records join a batch committed within {@link READ_BATCH_MS} ms. A crash can lose
 *   at most that window of read events;
 * - unauthenticated failures are counted per minute, source and error type, and at most
 *   {@link AUDIT_LIMITS.unauthenticatedSamplesPerMinute} of them a minute are kept as records.
 */
export class AuditTrail {
  private pending: { rec: AuditRecord; done: () => void; fail: (e: unknown) => void }[] = [];
  private counts = new Map<string, UnauthenticatedCount>();
  private samples: AuditRecord[] = [];
  private sampleMinute = 0;
  private sampledThisMinute = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate = false;
  constructor(
    private readonly store: StateStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The stored form of a call's record: bounded, redacted, with its id and time. */
  build(e: AuditInput): AuditRecord {
    return {
      eventId: randomUUID(),
      eventTime: this.now(),
      ...e,
      userAgent: e.userAgent === undefined ? undefined : truncate(e.userAgent, AUDIT_LIMITS.userAgent),
      errorMessage: e.errorMessage === undefined ? undefined : truncate(e.errorMessage, AUDIT_LIMITS.errorMessage),
      requestParameters: e.requestParameters ? boundedParameters(e.requestParameters) : undefined,
    };
  }

  /** Opens the audit scope of a state-changing call (its record is built now, before the handler runs). */
  open(e: AuditInput): PendingAudit {
    return { record: this.build(e), written: false, closed: false };
  }

  /** Runs a state-changing handler inside its scope: its change-making write commits the record. */
  within<T>(scope: PendingAudit | undefined, fn: () => Promise<T>): Promise<T> {
    return scope ? runInAuditScope(scope, fn) : fn();
  }

  /** After a successful state-changing call: closes the scope and writes its record if no change carried it. */
  async settle(scope: PendingAudit): Promise<void> {
    scope.closed = true;
    if (!scope.written) {
      await this.enqueue(scope.record, true);
      scope.written = true;
    }
  }

  /** Records a call that changed nothing: `durable` resolves once committed, otherwise it joins the read batch. */
  record(e: AuditInput, opts: { durable: boolean } = { durable: true }): Promise<void> {
    return this.enqueue(this.build(e), opts.durable);
  }

  /**
   * Durable records are committed at the end of the current event-loop turn (one commit for all
   * of that turn) and the promise resolves then; others join the batch committed within
   * {@link READ_BATCH_MS} ms.
   */
  private enqueue(rec: AuditRecord, durable: boolean): Promise<void> {
    return new Promise((done, fail) => {
      this.pending.push({ rec, done, fail });
      if (durable) {
        if (!this.immediate) {
          this.immediate = true;
          setImmediate(() => void this.flush());
        }
      } else this.schedule();
    });
  }

  /** Counts an unauthenticated failure (`errorCode` is its reason) and keeps it as a record if this minute's sample has room. */
  unauthenticated(e: AuditInput): void {
    const t = this.now();
    const minute = Math.floor(t.getTime() / 60_000) * 60_000;
    const reason = e.errorCode ?? 'Unknown';
    const key = `${minute}\0${e.eventSource}\0${reason}`;
    const c = this.counts.get(key);
    if (c) c.count++;
    else this.counts.set(key, { minute: new Date(minute), eventSource: e.eventSource, reason, count: 1 });
    if (minute !== this.sampleMinute) {
      this.sampleMinute = minute;
      this.sampledThisMinute = 0;
    }
    if (this.sampledThisMinute < AUDIT_LIMITS.unauthenticatedSamplesPerMinute) {
      this.sampledThisMinute++;
      this.samples.push(this.build({ ...e, requestParameters: undefined }));
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.immediate) return;
    this.timer = setTimeout(() => void this.flush(), READ_BATCH_MS);
    this.timer.unref();
  }

  /** Writes everything pending now. */
  async flush(): Promise<void> {
    this.immediate = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    const counts = [...this.counts.values()];
    this.counts.clear();
    const samples = this.samples;
    this.samples = [];
    if (counts.length > 0 || samples.length > 0) {
      // Counters are best effort (the requests they count changed nothing); a failure is reported through the read batch's promises.
      await this.store.countUnauthenticated(counts, samples).catch(() => undefined);
    }
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
