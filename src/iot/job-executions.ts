/**
 * Job executions: storage, the state transitions both planes share, and change tracking. Every
 * change goes through {@link JobExecutions.change}, which compares each affected thing's first
 * pending execution before and after and emits `next-changed` only when its identity changed
 * (the rule the FreeRTOS agent depends on: a spurious notify-next restarts its download).
 */
import { iotArn } from './arns.js';
import { IotError } from './iot-error.js';
import { decode, encode, type IotDb } from './iot-store.js';
import type { IotEventBus } from './events.js';
import {
  TERMINAL_EXECUTION_STATUSES,
  type DeviceJobExecution,
  type IotContext,
  type IotEvent,
  type Job,
  type JobExecution,
  type JobExecutionStatus,
  type JobExecutionSummary,
} from './iot.types.js';

export const isTerminal = (s: JobExecutionStatus): boolean => TERMINAL_EXECUTION_STATUSES.includes(s);

const EXEC_EVENT: Partial<Record<JobExecutionStatus, Extract<IotEvent, { kind: 'job-execution' }>['event']>> = {
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  REJECTED: 'rejected',
  CANCELED: 'canceled',
  TIMED_OUT: 'timed_out',
  REMOVED: 'removed',
};

export function summaryOf(e: JobExecution): JobExecutionSummary {
  return {
    jobId: e.jobId,
    queuedAt: e.queuedAt,
    ...(e.startedAt ? { startedAt: e.startedAt } : {}),
    lastUpdatedAt: e.lastUpdatedAt,
    versionNumber: e.versionNumber,
    executionNumber: e.executionNumber,
  };
}

interface PendingSnapshot {
  /** Identity of the first pending execution ('' when none). */
  key: string;
  /** Identity and status of the whole pending list (for `jobs/notify`). */
  listKey: string;
  inProgress: JobExecution[];
  queued: JobExecution[];
}

export class JobExecutions {
  private seq: number;
  constructor(
    private readonly d: IotDb,
    private readonly bus: IotEventBus,
    private readonly now: () => Date,
  ) {
    this.seq = (d.q('SELECT COALESCE(MAX(queued_seq), 0) FROM iot_job_executions').pluck().get() as number) + 1;
  }

  getJob(ctx: IotContext, jobId: string): Job | undefined {
    const row = this.d.q('SELECT data FROM iot_jobs WHERE account_id = ? AND job_id = ?').pluck().get(ctx.accountId, jobId) as string | undefined;
    return row ? decode<Job>(row) : undefined;
  }
  requireJob(ctx: IotContext, jobId: string): Job {
    const j = this.getJob(ctx, jobId);
    if (!j) throw new IotError('ResourceNotFoundException', `Job ${jobId} cannot be found.`);
    return j;
  }
  /**
   * Stores a job. A job that reaches COMPLETED or CANCELED here (whichever path got it there: the last
   * execution, CancelJob, its abort criteria) gets its `$aws/events/job/…` event once the surrounding
   * transaction is over and only if the stored job still says so (a rolled-back change emits nothing).
   */
  saveJob(ctx: IotContext, job: Job): void {
    const was = this.d.q('SELECT status FROM iot_jobs WHERE account_id = ? AND job_id = ?').pluck().get(ctx.accountId, job.jobId) as string | undefined;
    this.d.q('UPDATE iot_jobs SET status = ?, data = ? WHERE account_id = ? AND job_id = ?').run(job.status, encode(job), ctx.accountId, job.jobId);
    const event = job.status === 'COMPLETED' ? 'completed' : job.status === 'CANCELED' ? 'canceled' : undefined;
    if (!event || was === job.status) return;
    queueMicrotask(() => {
      const stored = this.getJob(ctx, job.jobId);
      if (stored?.status !== job.status) return;
      const { rollout: _rollout, ...view } = stored as Job & { rollout?: unknown };
      this.bus.emit({ kind: 'job', accountId: ctx.accountId, jobId: job.jobId, event, job: view });
    });
  }

  /** The newest execution of a job on a thing (or the given execution number). */
  latest(ctx: IotContext, jobId: string, thingName: string, executionNumber?: number): JobExecution | undefined {
    const row = (
      executionNumber === undefined
        ? this.d.q('SELECT data FROM iot_job_executions WHERE account_id = ? AND job_id = ? AND thing_name = ? AND released = 1 ORDER BY execution_number DESC LIMIT 1').pluck().get(ctx.accountId, jobId, thingName)
        : this.d.q('SELECT data FROM iot_job_executions WHERE account_id = ? AND job_id = ? AND thing_name = ? AND execution_number = ? AND released = 1').pluck().get(ctx.accountId, jobId, thingName, executionNumber)
    ) as string | undefined;
    return row ? decode<JobExecution>(row) : undefined;
  }

  /** IN_PROGRESS first, then QUEUED, each oldest first: the order `$next` follows. */
  pending(ctx: IotContext, thingName: string): PendingSnapshot {
    const rows = this.d
      .q("SELECT data FROM iot_job_executions WHERE account_id = ? AND thing_name = ? AND status IN ('IN_PROGRESS','QUEUED') AND released = 1 ORDER BY queued_seq")
      .pluck()
      .all(ctx.accountId, thingName) as string[];
    const all = rows.map((r) => decode<JobExecution>(r));
    const inProgress = all.filter((e) => e.status === 'IN_PROGRESS');
    const queued = all.filter((e) => e.status === 'QUEUED');
    const first = inProgress[0] ?? queued[0];
    return {
      key: first ? `${first.jobId}#${first.executionNumber}` : '',
      listKey: [...inProgress, ...queued].map((e) => `${e.jobId}#${e.executionNumber}:${e.status}`).join(','),
      inProgress,
      queued,
    };
  }

  next(ctx: IotContext, thingName: string): JobExecution | undefined {
    const p = this.pending(ctx, thingName);
    return p.inProgress[0] ?? p.queued[0];
  }

  toDevice(ctx: IotContext, e: JobExecution, includeJobDocument: boolean): DeviceJobExecution {
    const out: DeviceJobExecution = {
      ...summaryOf(e),
      thingName: e.thingName,
      status: e.status,
      statusDetails: e.statusDetails,
    };
    if (e.status === 'IN_PROGRESS' && e.timeoutAt) out.approximateSecondsBeforeTimedOut = Math.max(0, Math.round((e.timeoutAt.getTime() - this.now().getTime()) / 1000));
    if (includeJobDocument) {
      const job = this.getJob(ctx, e.jobId);
      if (job) out.jobDocument = job.document;
    }
    return out;
  }

  insert(ctx: IotContext, job: Job, thingName: string, executionNumber: number, released: boolean): JobExecution {
    const now = this.now();
    const e: JobExecution = {
      jobId: job.jobId,
      thingName,
      thingArn: iotArn(ctx, 'thing', thingName),
      status: 'QUEUED',
      statusDetails: {},
      queuedAt: now,
      lastUpdatedAt: now,
      executionNumber,
      versionNumber: 1,
    };
    this.d
      .q('INSERT INTO iot_job_executions (account_id, job_id, thing_name, execution_number, status, queued_seq, timeout_at, released, data) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)')
      .run(ctx.accountId, job.jobId, thingName, executionNumber, e.status, this.seq++, released ? 1 : 0, encode(e));
    return e;
  }

  write(ctx: IotContext, e: JobExecution): void {
    this.d
      .q('UPDATE iot_job_executions SET status = ?, timeout_at = ?, data = ? WHERE account_id = ? AND job_id = ? AND thing_name = ? AND execution_number = ?')
      .run(e.status, e.status === 'IN_PROGRESS' && e.timeoutAt ? e.timeoutAt.getTime() : null, encode(e), ctx.accountId, e.jobId, e.thingName, e.executionNumber);
  }

  /**
   * Runs `fn` in one transaction, then emits: `next-changed`/`pending-changed` for each thing
   * whose first pending execution changed identity, and the job-execution events for
   * executions that reached a terminal state (collected through `terminal`).
   */
  change<T>(ctx: IotContext, thingNames: Iterable<string>, fn: (terminal: (e: JobExecution) => void) => T): T {
    const names = [...new Set(thingNames)];
    const events: IotEvent[] = [];
    const result = this.d.tx(() => {
      const before = new Map(names.map((t) => [t, this.pending(ctx, t)]));
      const r = fn((e) => {
        const ev = EXEC_EVENT[e.status];
        if (ev) events.push({ kind: 'job-execution', accountId: ctx.accountId, jobId: e.jobId, thingName: e.thingName, event: ev, execution: e });
      });
      for (const t of names) {
        const after = this.pending(ctx, t);
        const was = before.get(t) as PendingSnapshot;
        if (after.key !== was.key) {
          const first = after.inProgress[0] ?? after.queued[0];
          events.push({ kind: 'next-changed', accountId: ctx.accountId, thingName: t, ...(first ? { execution: this.toDevice(ctx, first, true) } : {}) });
        }
        if (after.listKey !== was.listKey) {
          events.push({ kind: 'pending-changed', accountId: ctx.accountId, thingName: t, inProgressJobs: after.inProgress.map(summaryOf), queuedJobs: after.queued.map(summaryOf) });
        }
      }
      return r;
    });
    for (const e of events) this.bus.emit(e);
    return result;
  }

  /** Moves an execution to `status`, bumping its version. Callers check the transition is allowed. */
  transition(ctx: IotContext, e: JobExecution, status: JobExecutionStatus, patch: Partial<JobExecution> = {}): JobExecution {
    const now = this.now();
    const next: JobExecution = { ...e, ...patch, status, lastUpdatedAt: now, versionNumber: e.versionNumber + 1 };
    if (status === 'IN_PROGRESS' && !next.startedAt) next.startedAt = now;
    if (status !== 'IN_PROGRESS') delete next.timeoutAt;
    this.write(ctx, next);
    return next;
  }
}
