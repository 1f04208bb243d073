/**
 * The device's side of Jobs (the `iot-jobs-data` API; the Jobs MQTT API in src/ota calls the
 * same methods). Transitions a device may make: QUEUED or IN_PROGRESS → IN_PROGRESS, SUCCEEDED,
 * FAILED, REJECTED. Anything else, or a terminal execution, is InvalidStateTransition.
 */
import { IotError } from './iot-error.js';
import { isTerminal, summaryOf, type JobExecutions } from './job-executions.js';
import type { IotContext, JobExecutionStatus, JobsDataService } from './iot.types.js';
import type { SqliteJobService } from './jobs-service.js';
import { checkJobId, checkMinutes, checkStatusDetails, checkThingName } from './validate.js';

const DEVICE_SETTABLE: readonly JobExecutionStatus[] = ['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'REJECTED'];

type UpdateInput = Parameters<JobsDataService['updateJobExecution']>[1];

export class SqliteJobsDataService implements JobsDataService {
  constructor(
    private readonly ex: JobExecutions,
    private readonly jobs: SqliteJobService,
    private readonly now: () => Date,
  ) {}

  async getPendingJobExecutions(ctx: IotContext, thingName: string) {
    checkThingName(thingName);
    const p = this.ex.pending(ctx, thingName);
    return { inProgressJobs: p.inProgress.map(summaryOf), queuedJobs: p.queued.map(summaryOf) };
  }

  async describeJobExecution(ctx: IotContext, input: { thingName: string; jobId: string; includeJobDocument?: boolean; executionNumber?: number }) {
    checkThingName(input.thingName);
    const include = input.includeJobDocument !== false;
    if (input.jobId === '$next') {
      const e = this.ex.next(ctx, input.thingName);
      return e ? { execution: this.ex.toDevice(ctx, e, include) } : {};
    }
    checkJobId(input.jobId);
    const e = this.ex.latest(ctx, input.jobId, input.thingName, input.executionNumber);
    if (!e) throw new IotError('ResourceNotFoundException', `Job ${input.jobId} has no execution on thing ${input.thingName}.`);
    return { execution: this.ex.toDevice(ctx, e, include) };
  }

  async startNextPendingJobExecution(ctx: IotContext, input: { thingName: string; statusDetails?: Record<string, string>; stepTimeoutInMinutes?: number }) {
    checkThingName(input.thingName);
    if (input.statusDetails !== undefined) checkStatusDetails(input.statusDetails);
    if (input.stepTimeoutInMinutes !== undefined) checkMinutes(input.stepTimeoutInMinutes, 'stepTimeoutInMinutes', 1, 10_080);
    return this.ex.change(ctx, [input.thingName], () => {
      const e = this.ex.next(ctx, input.thingName);
      if (!e) return {};
      if (e.status === 'IN_PROGRESS') return { execution: this.ex.toDevice(ctx, e, true) };
      const job = this.ex.requireJob(ctx, e.jobId);
      const now = this.now();
      const timeoutAt = this.jobs.timeoutFor(job, now, input.stepTimeoutInMinutes, now);
      const started = this.ex.transition(ctx, e, 'IN_PROGRESS', { ...(input.statusDetails ? { statusDetails: input.statusDetails } : {}), ...(timeoutAt ? { timeoutAt } : {}) });
      return { execution: this.ex.toDevice(ctx, started, true) };
    });
  }

  async updateJobExecution(ctx: IotContext, input: UpdateInput) {
    checkThingName(input.thingName);
    checkJobId(input.jobId);
    if (!DEVICE_SETTABLE.includes(input.status)) throw new IotError('InvalidRequestException', `status must be one of ${DEVICE_SETTABLE.join(', ')}.`);
    if (input.statusDetails !== undefined) checkStatusDetails(input.statusDetails);
    if (input.expectedVersion !== undefined && (!Number.isInteger(input.expectedVersion) || input.expectedVersion < 0)) throw new IotError('InvalidRequestException', 'expectedVersion must be a non-negative integer.');
    if (input.executionNumber !== undefined && (!Number.isInteger(input.executionNumber) || input.executionNumber < 1)) throw new IotError('InvalidRequestException', 'executionNumber must be a positive integer.');
    if (input.stepTimeoutInMinutes !== undefined) checkMinutes(input.stepTimeoutInMinutes, 'stepTimeoutInMinutes', 1, 10_080);
    return this.ex.change(ctx, [input.thingName], (terminal) => {
      const e = this.ex.latest(ctx, input.jobId, input.thingName, input.executionNumber);
      if (!e) throw new IotError('ResourceNotFoundException', `Job ${input.jobId} has no execution on thing ${input.thingName}.`);
      const state = { status: e.status, statusDetails: e.statusDetails, versionNumber: e.versionNumber };
      if (isTerminal(e.status)) throw new IotError('InvalidStateTransitionException', `The execution is already ${e.status}.`, state);
      if (input.expectedVersion !== undefined && input.expectedVersion !== e.versionNumber) {
        throw new IotError('ConflictException', `The execution is at version ${e.versionNumber}, not ${input.expectedVersion}.`, state);
      }
      const job = this.ex.requireJob(ctx, e.jobId);
      const now = this.now();
      const patch: Parameters<JobExecutions['transition']>[3] = input.statusDetails ? { statusDetails: input.statusDetails } : {};
      if (input.status === 'IN_PROGRESS') {
        const timeoutAt = this.jobs.timeoutFor(job, e.startedAt ?? now, input.stepTimeoutInMinutes, now) ?? e.timeoutAt;
        if (timeoutAt) patch.timeoutAt = timeoutAt;
      }
      const next = this.ex.transition(ctx, e, input.status, patch);
      if (isTerminal(next.status)) {
        terminal(next);
        this.jobs.afterTerminal(ctx, next, terminal);
      } else {
        this.ex.saveJob(ctx, this.jobs.recount(ctx, job));
      }
      return {
        ...(input.includeJobExecutionState ? { executionState: { status: next.status, statusDetails: next.statusDetails, versionNumber: next.versionNumber } } : {}),
        ...(input.includeJobDocument ? { jobDocument: job.document } : {}),
      };
    });
  }
}
