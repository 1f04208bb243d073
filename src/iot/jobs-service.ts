/**
 * The Jobs control plane: CreateJob (SNAPSHOT/CONTINUOUS targets, rollout, abort, timeout and
 * retry configuration), cancel/delete of jobs and executions, and the periodic `tick` that times
 * out executions and releases rollout batches. Time comes from the injected clock, so tests
 * step it instead of waiting.
 */
import { iotArn, parseIotArn } from './arns.js';
import { IotError } from './iot-error.js';
import { decode, encode, type IotDb } from './iot-store.js';
import type { IotEventBus } from './events.js';
import { isTerminal, type JobExecutions } from './job-executions.js';
import type {
  IotContext,
  Job,
  JobExecution,
  JobExecutionStatus,
  JobService,
  JobStatus,
  Paged,
} from './iot.types.js';
import { pageWindow, toPage } from './pagination.js';
import type { SqliteThingService } from './things-service.js';
import { checkJobId, checkMinutes } from './validate.js';

type CreateJobInput = Parameters<JobService['createJob']>[1];

const MAX_DOCUMENT = 32_768;
const MINUTE = 60_000;

function emptyCounts(): Job['jobProcessDetails'] {
  return {
    numberOfQueuedThings: 0,
    numberOfInProgressThings: 0,
    numberOfSucceededThings: 0,
    numberOfFailedThings: 0,
    numberOfRejectedThings: 0,
    numberOfCanceledThings: 0,
    numberOfRemovedThings: 0,
    numberOfTimedOutThings: 0,
  };
}

const COUNT_KEY: Record<JobExecutionStatus, keyof Job['jobProcessDetails']> = {
  QUEUED: 'numberOfQueuedThings',
  IN_PROGRESS: 'numberOfInProgressThings',
  SUCCEEDED: 'numberOfSucceededThings',
  FAILED: 'numberOfFailedThings',
  REJECTED: 'numberOfRejectedThings',
  CANCELED: 'numberOfCanceledThings',
  REMOVED: 'numberOfRemovedThings',
  TIMED_OUT: 'numberOfTimedOutThings',
};

/** Rollout bookkeeping kept inside the job record (not an API member). */
interface RolloutState {
  /** Executions released so far. */
  released: number;
  /** Start of the current one-minute window and how many were released in it. */
  windowStart: number;
  inWindow: number;
}

type StoredJob = Job & { rollout?: RolloutState };

function checkConfig(input: CreateJobInput): void {
  const r = input.jobExecutionsRolloutConfig;
  if (r?.maximumPerMinute !== undefined) checkMinutes(r.maximumPerMinute, 'jobExecutionsRolloutConfig.maximumPerMinute', 1, 1000);
  if (r?.exponentialRate) {
    const x = r.exponentialRate;
    checkMinutes(x.baseRatePerMinute, 'exponentialRate.baseRatePerMinute', 1, 1000);
    if (typeof x.incrementFactor !== 'number' || x.incrementFactor < 1.1 || x.incrementFactor > 5) throw new IotError('InvalidRequestException', 'exponentialRate.incrementFactor must be from 1.1 to 5.');
    const c = x.rateIncreaseCriteria;
    if (!c || (c.numberOfNotifiedThings === undefined) === (c.numberOfSucceededThings === undefined)) {
      throw new IotError('InvalidRequestException', 'rateIncreaseCriteria needs exactly one of numberOfNotifiedThings and numberOfSucceededThings.');
    }
  }
  for (const c of input.abortConfig?.criteriaList ?? []) {
    if (!['FAILED', 'REJECTED', 'TIMED_OUT', 'ALL'].includes(c.failureType) || c.action !== 'CANCEL') throw new IotError('InvalidRequestException', 'abort criteria need failureType FAILED|REJECTED|TIMED_OUT|ALL and action CANCEL.');
    if (!(c.thresholdPercentage >= 0 && c.thresholdPercentage <= 100)) throw new IotError('InvalidRequestException', 'thresholdPercentage must be from 0 to 100.');
    checkMinutes(c.minNumberOfExecutedThings, 'minNumberOfExecutedThings', 1, 2_147_483_647);
  }
  if (input.timeoutConfig?.inProgressTimeoutInMinutes !== undefined) checkMinutes(input.timeoutConfig.inProgressTimeoutInMinutes, 'timeoutConfig.inProgressTimeoutInMinutes', 1, 10_080);
  for (const c of input.jobExecutionsRetryConfig?.criteriaList ?? []) {
    if (!['FAILED', 'TIMED_OUT', 'ALL'].includes(c.failureType)) throw new IotError('InvalidRequestException', 'retry criteria failureType must be FAILED, TIMED_OUT or ALL.');
    checkMinutes(c.numberOfRetries, 'numberOfRetries', 0, 10);
  }
}

export class SqliteJobService implements JobService {
  constructor(
    private readonly d: IotDb,
    private readonly ex: JobExecutions,
    private readonly things: SqliteThingService,
    private readonly bus: IotEventBus,
    private readonly now: () => Date,
    private readonly region: string,
  ) {
    things.onMembershipAdded((ctx, thingName, group) => this.onMembershipAdded(ctx, thingName, group));
  }

  /** Resolves target ARNs to thing names (groups expanded, with subgroups). */
  private resolveTargets(ctx: IotContext, targets: string[]): { things: string[]; groups: string[] } {
    const things = new Set<string>();
    const groups: string[] = [];
    for (const t of targets) {
      const arn = parseIotArn(t);
      if (!arn || (arn.resource !== 'thing' && arn.resource !== 'thinggroup')) throw new IotError('InvalidRequestException', `Target ${t} is not a thing or thing group ARN.`);
      if (arn.accountId !== ctx.accountId) throw new IotError('ResourceNotFoundException', `Target ${t} cannot be found.`);
      if (arn.resource === 'thing') {
        this.things.requireThing(ctx, arn.id);
        things.add(arn.id);
      } else {
        this.things.requireGroup(ctx, arn.id);
        groups.push(arn.id);
        for (const m of this.things.membersOf(ctx, arn.id)) things.add(m);
      }
    }
    return { things: [...things], groups };
  }

  /** How many executions may be released now under the job's rollout config (Infinity without one). */
  private allowance(job: StoredJob, now: number): number {
    const r = job.jobExecutionsRolloutConfig;
    if (!r || (!r.maximumPerMinute && !r.exponentialRate) || !job.rollout) return Infinity;
    let rate = r.maximumPerMinute ?? Infinity;
    if (r.exponentialRate) {
      const x = r.exponentialRate;
      const c = x.rateIncreaseCriteria;
      const achieved = c.numberOfNotifiedThings !== undefined ? job.rollout.released : job.jobProcessDetails.numberOfSucceededThings;
      const step = (c.numberOfNotifiedThings ?? c.numberOfSucceededThings) as number;
      const steps = Math.floor(achieved / step);
      rate = Math.min(rate, Math.floor(x.baseRatePerMinute * Math.pow(x.incrementFactor, steps)));
    }
    const inWindow = now - job.rollout.windowStart < MINUTE ? job.rollout.inWindow : 0;
    return Math.max(0, rate - inWindow);
  }

  private noteReleased(job: StoredJob, n: number, now: number): void {
    if (!job.rollout || n === 0) return;
    if (now - job.rollout.windowStart >= MINUTE) job.rollout = { ...job.rollout, windowStart: now, inWindow: 0 };
    job.rollout.released += n;
    job.rollout.inWindow += n;
  }

  /** Recounts jobProcessDetails from the latest execution of each thing; completes SNAPSHOT jobs that are done. */
  recount(ctx: IotContext, job: StoredJob): StoredJob {
    const rows = this.d
      .q('SELECT status, released FROM iot_job_executions e WHERE account_id = ? AND job_id = ? AND execution_number = (SELECT MAX(execution_number) FROM iot_job_executions x WHERE x.account_id = e.account_id AND x.job_id = e.job_id AND x.thing_name = e.thing_name)')
      .all(ctx.accountId, job.jobId) as { status: JobExecutionStatus; released: number }[];
    const counts = emptyCounts();
    for (const r of rows) counts[COUNT_KEY[r.status]]++;
    const next: StoredJob = { ...job, jobProcessDetails: counts };
    if (next.status === 'IN_PROGRESS' && next.targetSelection === 'SNAPSHOT' && rows.length > 0 && rows.every((r) => r.released === 1 && isTerminal(r.status))) {
      next.status = 'COMPLETED';
      next.completedAt = this.now();
    }
    return next;
  }

  async createJob(ctx: IotContext, input: CreateJobInput): Promise<Job> {
    checkJobId(input.jobId);
    if (!Array.isArray(input.targets) || input.targets.length < 1) throw new IotError('InvalidRequestException', 'targets must list at least one thing or thing group ARN.');
    if (typeof input.document !== 'string' || input.document.length > MAX_DOCUMENT) throw new IotError('InvalidRequestException', `document must be a JSON text of at most ${MAX_DOCUMENT} characters.`);
    try {
      JSON.parse(input.document);
    } catch {
      throw new IotError('InvalidRequestException', 'document is not valid JSON.');
    }
    const targetSelection = input.targetSelection ?? 'SNAPSHOT';
    if (targetSelection !== 'SNAPSHOT' && targetSelection !== 'CONTINUOUS') throw new IotError('InvalidRequestException', 'targetSelection must be SNAPSHOT or CONTINUOUS.');
    checkConfig(input);
    const { things } = this.resolveTargets(ctx, input.targets);
    const now = this.now();
    let job: StoredJob = {
      jobId: input.jobId,
      jobArn: iotArn(ctx, 'job', input.jobId),
      targetSelection,
      status: 'IN_PROGRESS',
      targets: [...input.targets],
      ...(input.description !== undefined ? { description: input.description } : {}),
      document: input.document,
      ...(input.jobExecutionsRolloutConfig ? { jobExecutionsRolloutConfig: input.jobExecutionsRolloutConfig } : {}),
      ...(input.abortConfig ? { abortConfig: input.abortConfig } : {}),
      ...(input.timeoutConfig ? { timeoutConfig: input.timeoutConfig } : {}),
      ...(input.jobExecutionsRetryConfig ? { jobExecutionsRetryConfig: input.jobExecutionsRetryConfig } : {}),
      createdAt: now,
      lastUpdatedAt: now,
      jobProcessDetails: emptyCounts(),
    };
    if (input.jobExecutionsRolloutConfig) job.rollout = { released: 0, windowStart: now.getTime(), inWindow: 0 };
    return this.ex.change(ctx, things, () => {
      const inserted = this.d.q('INSERT OR IGNORE INTO iot_jobs (account_id, job_id, status, created_at, data) VALUES (?, ?, ?, ?, ?)').run(ctx.accountId, job.jobId, job.status, now.getTime(), encode(job));
      if (inserted.changes === 0) throw new IotError('ResourceAlreadyExistsException', `Job ${input.jobId} already exists.`);
      let allowance = this.allowance(job, now.getTime());
      let released = 0;
      for (const t of things) {
        const release = released < allowance;
        this.ex.insert(ctx, job, t, 1, release);
        if (release) released++;
      }
      allowance = 0;
      this.noteReleased(job, released, now.getTime());
      job = this.recount(ctx, job);
      this.ex.saveJob(ctx, job);
      return this.view(job);
    });
  }

  private view(job: StoredJob): Job {
    const { rollout: _rollout, ...rest } = job;
    return rest;
  }

  /** CONTINUOUS jobs on this group (or an ancestor) reach a thing added later. */
  private onMembershipAdded(ctx: IotContext, thingName: string, _group: string): void {
    const groups = new Set(this.things.groupsOfThing(ctx, thingName).map((g) => iotArn(ctx, 'thinggroup', g)));
    const jobs = (this.d.q("SELECT data FROM iot_jobs WHERE account_id = ? AND status = 'IN_PROGRESS'").pluck().all(ctx.accountId) as string[]).map((r) => decode<StoredJob>(r));
    for (const job of jobs) {
      if (job.targetSelection !== 'CONTINUOUS' || !job.targets.some((t) => groups.has(t))) continue;
      this.ex.change(ctx, [thingName], () => {
        if (this.ex.latest(ctx, job.jobId, thingName) || this.d.q('SELECT 1 FROM iot_job_executions WHERE account_id = ? AND job_id = ? AND thing_name = ?').get(ctx.accountId, job.jobId, thingName)) return;
        const now = this.now().getTime();
        const release = this.allowance(job, now) > 0;
        this.ex.insert(ctx, job, thingName, 1, release);
        let next: StoredJob = job;
        if (release) this.noteReleased(next, 1, now);
        next = this.recount(ctx, next);
        this.ex.saveJob(ctx, next);
      });
    }
  }

  async describeJob(ctx: IotContext, jobId: string): Promise<Job> {
    checkJobId(jobId);
    return this.view(this.ex.requireJob(ctx, jobId) as StoredJob);
  }

  async listJobs(ctx: IotContext, input: { nextToken?: string; maxResults?: number; status?: JobStatus; targetSelection?: 'SNAPSHOT' | 'CONTINUOUS'; thingGroupName?: string }): Promise<Paged<Job>> {
    const { offset, limit } = pageWindow(input);
    let jobs = (this.d.q('SELECT data FROM iot_jobs WHERE account_id = ? ORDER BY created_at DESC, job_id').pluck().all(ctx.accountId) as string[]).map((r) => this.view(decode<StoredJob>(r)));
    if (input.status) jobs = jobs.filter((j) => j.status === input.status);
    if (input.targetSelection) jobs = jobs.filter((j) => j.targetSelection === input.targetSelection);
    if (input.thingGroupName) {
      const arn = iotArn(ctx, 'thinggroup', input.thingGroupName);
      jobs = jobs.filter((j) => j.targets.includes(arn));
    }
    return toPage(jobs.slice(offset, offset + limit + 1), offset, limit);
  }

  async getJobDocument(ctx: IotContext, jobId: string): Promise<string> {
    checkJobId(jobId);
    return this.ex.requireJob(ctx, jobId).document;
  }

  private thingsOf(ctx: IotContext, jobId: string): string[] {
    return this.d.q('SELECT DISTINCT thing_name FROM iot_job_executions WHERE account_id = ? AND job_id = ?').pluck().all(ctx.accountId, jobId) as string[];
  }

  /** Cancels a job's executions: QUEUED (and unreleased) ones always, IN_PROGRESS ones with `force`. */
  private cancelExecutions(ctx: IotContext, job: StoredJob, force: boolean, terminal: (e: JobExecution) => void): void {
    this.d.q("DELETE FROM iot_job_executions WHERE account_id = ? AND job_id = ? AND released = 0").run(ctx.accountId, job.jobId);
    const rows = (this.d.q("SELECT data FROM iot_job_executions WHERE account_id = ? AND job_id = ? AND status IN ('QUEUED','IN_PROGRESS')").pluck().all(ctx.accountId, job.jobId) as string[]).map((r) => decode<JobExecution>(r));
    for (const e of rows) {
      if (e.status === 'IN_PROGRESS' && !force) continue;
      terminal(this.ex.transition(ctx, e, 'CANCELED', e.status === 'IN_PROGRESS' ? { forceCanceled: true } : {}));
    }
  }

  async cancelJob(ctx: IotContext, input: { jobId: string; reasonCode?: string; comment?: string; force?: boolean }): Promise<Job> {
    checkJobId(input.jobId);
    this.ex.requireJob(ctx, input.jobId);
    const result = this.ex.change(ctx, this.thingsOf(ctx, input.jobId), (terminal) => {
      const job = this.ex.requireJob(ctx, input.jobId) as StoredJob;
      if (job.status === 'COMPLETED') throw new IotError('InvalidStateTransitionException', `Job ${input.jobId} is COMPLETED and cannot be canceled.`);
      if (job.status === 'CANCELED' && !input.force) return { job, changed: false };
      this.cancelExecutions(ctx, job, input.force === true, terminal);
      let next: StoredJob = {
        ...job,
        status: 'CANCELED',
        lastUpdatedAt: this.now(),
        ...(input.force ? { forceCanceled: true } : {}),
        ...(input.reasonCode !== undefined ? { reasonCode: input.reasonCode } : {}),
        ...(input.comment !== undefined ? { comment: input.comment } : {}),
      };
      next = this.recount(ctx, next);
      next.status = 'CANCELED';
      this.ex.saveJob(ctx, next);
      return { job: next, changed: true };
    });
    // The `canceled` event comes from saveJob (the same one an abort-criteria cancel gets).
    return this.view(result.job);
  }

  async deleteJob(ctx: IotContext, input: { jobId: string; force?: boolean }): Promise<void> {
    checkJobId(input.jobId);
    const job = this.ex.requireJob(ctx, input.jobId) as StoredJob;
    this.ex.change(ctx, this.thingsOf(ctx, input.jobId), (terminal) => {
      const inProgress = this.d.q("SELECT COUNT(*) FROM iot_job_executions WHERE account_id = ? AND job_id = ? AND status = 'IN_PROGRESS'").pluck().get(ctx.accountId, input.jobId) as number;
      if (inProgress > 0 && !input.force) throw new IotError('InvalidStateTransitionException', `Job ${input.jobId} has ${inProgress} IN_PROGRESS execution(s); delete it with force.`);
      const rows = (this.d.q('SELECT data FROM iot_job_executions WHERE account_id = ? AND job_id = ?').pluck().all(ctx.accountId, input.jobId) as string[]).map((r) => decode<JobExecution>(r));
      this.d.q('DELETE FROM iot_job_executions WHERE account_id = ? AND job_id = ?').run(ctx.accountId, input.jobId);
      this.d.q('DELETE FROM iot_jobs WHERE account_id = ? AND job_id = ?').run(ctx.accountId, input.jobId);
      for (const e of rows) if (!isTerminal(e.status)) terminal({ ...e, status: 'REMOVED' });
    });
    this.bus.emit({ kind: 'job', accountId: ctx.accountId, jobId: input.jobId, event: 'deleted', job: this.view(job) });
  }

  async describeJobExecution(ctx: IotContext, input: { jobId: string; thingName: string; executionNumber?: number }): Promise<JobExecution> {
    checkJobId(input.jobId);
    this.ex.requireJob(ctx, input.jobId);
    const e = this.ex.latest(ctx, input.jobId, input.thingName, input.executionNumber);
    if (!e) throw new IotError('ResourceNotFoundException', `Job ${input.jobId} has no execution on thing ${input.thingName}.`);
    return e;
  }

  async listJobExecutionsForJob(ctx: IotContext, input: { nextToken?: string; maxResults?: number; jobId: string; status?: JobExecutionStatus }): Promise<Paged<JobExecution>> {
    const { offset, limit } = pageWindow(input);
    this.ex.requireJob(ctx, input.jobId);
    const rows = (
      input.status
        ? this.d.q('SELECT data FROM iot_job_executions WHERE account_id = ? AND job_id = ? AND released = 1 AND status = ? ORDER BY thing_name, execution_number LIMIT ? OFFSET ?').pluck().all(ctx.accountId, input.jobId, input.status, limit + 1, offset)
        : this.d.q('SELECT data FROM iot_job_executions WHERE account_id = ? AND job_id = ? AND released = 1 ORDER BY thing_name, execution_number LIMIT ? OFFSET ?').pluck().all(ctx.accountId, input.jobId, limit + 1, offset)
    ) as string[];
    return toPage(rows.map((r) => decode<JobExecution>(r)), offset, limit);
  }

  async listJobExecutionsForThing(ctx: IotContext, input: { nextToken?: string; maxResults?: number; thingName: string; status?: JobExecutionStatus }): Promise<Paged<JobExecution>> {
    const { offset, limit } = pageWindow(input);
    this.things.requireThing(ctx, input.thingName);
    const rows = (
      input.status
        ? this.d.q('SELECT data FROM iot_job_executions WHERE account_id = ? AND thing_name = ? AND released = 1 AND status = ? ORDER BY queued_seq DESC LIMIT ? OFFSET ?').pluck().all(ctx.accountId, input.thingName, input.status, limit + 1, offset)
        : this.d.q('SELECT data FROM iot_job_executions WHERE account_id = ? AND thing_name = ? AND released = 1 ORDER BY queued_seq DESC LIMIT ? OFFSET ?').pluck().all(ctx.accountId, input.thingName, limit + 1, offset)
    ) as string[];
    return toPage(rows.map((r) => decode<JobExecution>(r)), offset, limit);
  }

  async cancelJobExecution(ctx: IotContext, input: { jobId: string; thingName: string; force?: boolean; expectedVersion?: number; statusDetails?: Record<string, string> }): Promise<void> {
    checkJobId(input.jobId);
    this.ex.change(ctx, [input.thingName], (terminal) => {
      const job = this.ex.requireJob(ctx, input.jobId) as StoredJob;
      const e = this.ex.latest(ctx, input.jobId, input.thingName);
      if (!e) throw new IotError('ResourceNotFoundException', `Job ${input.jobId} has no execution on thing ${input.thingName}.`);
      if (isTerminal(e.status)) throw new IotError('InvalidStateTransitionException', `The execution is ${e.status} and cannot be canceled.`);
      if (e.status === 'IN_PROGRESS' && !input.force) throw new IotError('InvalidStateTransitionException', 'The execution is IN_PROGRESS; cancel it with force.');
      if (input.expectedVersion !== undefined && input.expectedVersion !== e.versionNumber) throw new IotError('VersionConflictException', `The execution is at version ${e.versionNumber}, not ${input.expectedVersion}.`);
      terminal(this.ex.transition(ctx, e, 'CANCELED', { ...(input.statusDetails ? { statusDetails: input.statusDetails } : {}), ...(e.status === 'IN_PROGRESS' ? { forceCanceled: true } : {}) }));
      this.ex.saveJob(ctx, this.recount(ctx, job));
    });
  }

  async deleteJobExecution(ctx: IotContext, input: { jobId: string; thingName: string; executionNumber: number; force?: boolean }): Promise<void> {
    checkJobId(input.jobId);
    const deleted = this.ex.change(ctx, [input.thingName], () => {
      const job = this.ex.requireJob(ctx, input.jobId) as StoredJob;
      const e = this.ex.latest(ctx, input.jobId, input.thingName, input.executionNumber);
      if (!e) throw new IotError('ResourceNotFoundException', `Job ${input.jobId} has no execution ${input.executionNumber} on thing ${input.thingName}.`);
      if (!isTerminal(e.status) && !input.force) throw new IotError('InvalidStateTransitionException', `The execution is ${e.status}; delete it with force.`);
      this.d.q('DELETE FROM iot_job_executions WHERE account_id = ? AND job_id = ? AND thing_name = ? AND execution_number = ?').run(ctx.accountId, input.jobId, input.thingName, input.executionNumber);
      this.ex.saveJob(ctx, this.recount(ctx, job));
      return e;
    });
    this.bus.emit({ kind: 'job-execution', accountId: ctx.accountId, jobId: input.jobId, thingName: input.thingName, event: 'deleted', execution: deleted });
  }

  /**
   * After an execution reached a terminal state: retry it when the job's retry config allows,
   * apply the abort criteria, recount. Runs inside the caller's `change` transaction.
   */
  afterTerminal(ctx: IotContext, e: JobExecution, terminal: (e: JobExecution) => void): void {
    let job = this.ex.getJob(ctx, e.jobId) as StoredJob | undefined;
    if (!job) return;
    const retry = job.jobExecutionsRetryConfig?.criteriaList;
    if (retry && job.status === 'IN_PROGRESS' && (e.status === 'FAILED' || e.status === 'TIMED_OUT')) {
      const allowed = Math.max(0, ...retry.filter((c) => c.failureType === 'ALL' || c.failureType === e.status).map((c) => c.numberOfRetries));
      if (e.executionNumber - 1 < allowed) this.ex.insert(ctx, job, e.thingName, e.executionNumber + 1, true);
    }
    job = this.recount(ctx, job);
    const criteria = job.abortConfig?.criteriaList ?? [];
    if (job.status === 'IN_PROGRESS' && criteria.length > 0) {
      const c = job.jobProcessDetails;
      const executed = c.numberOfSucceededThings + c.numberOfFailedThings + c.numberOfRejectedThings + c.numberOfTimedOutThings;
      const failedBy = { FAILED: c.numberOfFailedThings, REJECTED: c.numberOfRejectedThings, TIMED_OUT: c.numberOfTimedOutThings, ALL: c.numberOfFailedThings + c.numberOfRejectedThings + c.numberOfTimedOutThings };
      const hit = criteria.find((k) => executed >= k.minNumberOfExecutedThings && (failedBy[k.failureType] / executed) * 100 >= k.thresholdPercentage);
      if (hit) {
        // Abort cancels only QUEUED executions; IN_PROGRESS ones keep running (AWS).
        this.cancelExecutions(ctx, job, false, terminal);
        job = { ...this.recount(ctx, job), status: 'CANCELED', reasonCode: `FAILURE_TYPE_${hit.failureType}_THRESHOLD_REACHED`, comment: 'Job canceled by its abort criteria.', lastUpdatedAt: this.now() };
      }
    }
    this.ex.saveJob(ctx, job);
  }

  /** Times out IN_PROGRESS executions whose timer ran out and releases rollout batches. */
  async tick(now: Date = this.now()): Promise<void> {
    const due = this.d.q('SELECT account_id, data FROM iot_job_executions WHERE timeout_at IS NOT NULL AND timeout_at <= ?').all(now.getTime()) as { account_id: string; data: string }[];
    for (const row of due) {
      const e0 = decode<JobExecution>(row.data);
      const ctx = { accountId: row.account_id, region: this.region };
      this.ex.change(ctx, [e0.thingName], (terminal) => {
        const e = this.ex.latest(ctx, e0.jobId, e0.thingName, e0.executionNumber);
        if (!e || e.status !== 'IN_PROGRESS' || !e.timeoutAt || e.timeoutAt.getTime() > now.getTime()) return;
        const t = this.ex.transition(ctx, e, 'TIMED_OUT');
        terminal(t);
        this.afterTerminal(ctx, t, terminal);
      });
    }
    const pendingJobs = this.d.q('SELECT DISTINCT account_id, job_id FROM iot_job_executions WHERE released = 0').all() as { account_id: string; job_id: string }[];
    for (const { account_id, job_id } of pendingJobs) {
      const ctx = { accountId: account_id, region: this.region };
      const job = this.ex.getJob(ctx, job_id) as StoredJob | undefined;
      if (!job || job.status !== 'IN_PROGRESS') continue;
      const n = this.allowance(job, now.getTime());
      if (n <= 0) continue;
      const rows = this.d.q('SELECT thing_name, execution_number FROM iot_job_executions WHERE account_id = ? AND job_id = ? AND released = 0 ORDER BY queued_seq LIMIT ?').all(account_id, job_id, Math.min(n, 1_000_000)) as { thing_name: string; execution_number: number }[];
      this.ex.change(ctx, rows.map((r) => r.thing_name), () => {
        const now2 = now.getTime();
        for (const r of rows) this.d.q('UPDATE iot_job_executions SET released = 1 WHERE account_id = ? AND job_id = ? AND thing_name = ? AND execution_number = ?').run(account_id, job_id, r.thing_name, r.execution_number);
        const j = this.ex.getJob(ctx, job_id) as StoredJob;
        this.noteReleased(j, rows.length, now2);
        this.ex.saveJob(ctx, this.recount(ctx, j));
      });
    }
  }

  /** Minutes until an IN_PROGRESS execution times out: the step timeout when given, else the job's. */
  timeoutFor(job: Job, startedAt: Date, stepTimeoutInMinutes: number | undefined, now: Date): Date | undefined {
    const limits: number[] = [];
    if (job.timeoutConfig?.inProgressTimeoutInMinutes) limits.push(startedAt.getTime() + job.timeoutConfig.inProgressTimeoutInMinutes * MINUTE);
    if (stepTimeoutInMinutes !== undefined) limits.push(now.getTime() + stepTimeoutInMinutes * MINUTE);
    return limits.length ? new Date(Math.min(...limits)) : undefined;
  }
}
