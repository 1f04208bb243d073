/**
 * The AWS IoT Jobs MQTT API, server side, over the JobsDataService: `get`, `start-next`,
 * `{jobId|$next}/get`, `{jobId}/update` answered on `/accepted` or `/rejected` (ErrorResponse
 * codes InvalidJson, InvalidRequest, InvalidTopic, ResourceNotFound, InvalidStateTransition,
 * VersionMismatch, InternalError…), and the notifications `notify-next`, `notify` and
 * `$aws/events/…`. Unknown request fields are ignored; the client token is echoed.
 *
 * The push rule: the FreeRTOS agent asks `$next/get` once per boot and never subscribes to
 * `…/get/accepted`. So when a `{jobId|$next}/get` answer carries an execution and no client
 * subscribes to its `accepted` topic (or the broker cannot tell: an external broker), the same
 * execution is also published on `notify-next`.
 */
import { randomUUID } from 'node:crypto';
import { eventTopic, jobsTopic } from '../../simulator/ota-wire/index.js';
import {
  isIotError,
  MQTT_ERROR_CODE,
  type DeviceJobExecution,
  type IotContext,
  type IotEvent,
  type JobExecutionStatus,
  type JobExecutionSummary,
  type JobsDataService,
} from '../iot/index.js';
import type { Logger } from '../log/index.js';
import type { MqttTransport } from './transport.js';

const epoch = (d: Date | undefined) => (d ? Math.floor(d.getTime() / 1000) : undefined);
const JOB_ID = /^[a-zA-Z0-9_-]{1,64}$/;

class JobsRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly executionState?: { status: string; statusDetails?: Record<string, string>; versionNumber: number },
  ) {
    super(message);
  }
}

/** The `execution` member as the MQTT API writes it: epoch seconds, the document as an object. */
export function executionJson(e: DeviceJobExecution, thingName: string): Record<string, unknown> {
  let jobDocument: unknown;
  if (e.jobDocument !== undefined) {
    try {
      jobDocument = JSON.parse(e.jobDocument);
    } catch {
      jobDocument = e.jobDocument;
    }
  }
  return {
    jobId: e.jobId,
    thingName,
    status: e.status,
    ...(Object.keys(e.statusDetails).length > 0 ? { statusDetails: e.statusDetails } : {}),
    queuedAt: epoch(e.queuedAt),
    ...(e.startedAt ? { startedAt: epoch(e.startedAt) } : {}),
    lastUpdatedAt: epoch(e.lastUpdatedAt),
    ...(e.approximateSecondsBeforeTimedOut !== undefined ? { approximateSecondsBeforeTimedOut: e.approximateSecondsBeforeTimedOut } : {}),
    versionNumber: e.versionNumber,
    executionNumber: e.executionNumber,
    ...(jobDocument !== undefined ? { jobDocument } : {}),
  };
}

function summaryJson(s: JobExecutionSummary): Record<string, unknown> {
  return { jobId: s.jobId, queuedAt: epoch(s.queuedAt), ...(s.startedAt ? { startedAt: epoch(s.startedAt) } : {}), lastUpdatedAt: epoch(s.lastUpdatedAt), versionNumber: s.versionNumber, executionNumber: s.executionNumber };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class JobsMqttApi {
  constructor(
    private readonly deps: {
      ctx: IotContext;
      jobs: JobsDataService;
      transport: MqttTransport;
      logger: Logger;
      now: () => Date;
    },
  ) {}

  private ts(): number {
    return Math.floor(this.deps.now().getTime() / 1000);
  }

  private async send(topic: string, body: Record<string, unknown>, qos: 0 | 1 = 1): Promise<void> {
    await this.deps.transport.publish(topic, JSON.stringify(body), qos);
  }

  /** Handles one request; never throws (bad input is answered on `/rejected`). */
  async handle(request: { thing: string; op: 'get' | 'start-next' | 'describe' | 'update'; jobId?: string }, payload: Uint8Array, topic: string): Promise<void> {
    let clientToken: string | undefined;
    try {
      let body: unknown;
      try {
        body = payload.length === 0 ? {} : JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
      } catch {
        throw new JobsRequestError('InvalidJson', 'The request payload is not valid JSON.');
      }
      if (!isObject(body)) throw new JobsRequestError('InvalidJson', 'The request payload must be a JSON object.');
      if (typeof body['clientToken'] === 'string' && body['clientToken'].length <= 64) clientToken = body['clientToken'];
      else if (body['clientToken'] !== undefined) throw new JobsRequestError('InvalidRequest', 'clientToken must be a string of at most 64 characters.');
      if (request.jobId !== undefined && request.jobId !== '$next' && !JOB_ID.test(request.jobId)) throw new JobsRequestError('InvalidTopic', `${request.jobId.slice(0, 80)} is not a job id.`);
      if (request.op === 'update' && request.jobId === '$next') throw new JobsRequestError('InvalidTopic', '$next cannot be updated; name the job.');
      const tok = clientToken !== undefined ? { clientToken } : {};
      switch (request.op) {
        case 'get': {
          const p = await this.deps.jobs.getPendingJobExecutions(this.deps.ctx, request.thing);
          await this.send(`${topic}/accepted`, { inProgressJobs: p.inProgressJobs.map(summaryJson), queuedJobs: p.queuedJobs.map(summaryJson), timestamp: this.ts(), ...tok });
          return;
        }
        case 'describe': {
          const include = body['includeJobDocument'];
          const executionNumber = body['executionNumber'];
          if (include !== undefined && typeof include !== 'boolean') throw new JobsRequestError('InvalidRequest', 'includeJobDocument must be a boolean.');
          if (executionNumber !== undefined && (typeof executionNumber !== 'number' || !Number.isInteger(executionNumber) || executionNumber < 1)) throw new JobsRequestError('InvalidRequest', 'executionNumber must be a positive integer.');
          const r = await this.deps.jobs.describeJobExecution(this.deps.ctx, {
            thingName: request.thing,
            jobId: request.jobId as string,
            ...(include !== undefined ? { includeJobDocument: include } : {}),
            ...(executionNumber !== undefined ? { executionNumber } : {}),
          });
          const execution = r.execution ? executionJson(r.execution, request.thing) : undefined;
          const accepted = `${topic}/accepted`;
          await this.send(accepted, { ...tok, timestamp: this.ts(), ...(execution ? { execution } : {}) });
          if (r.execution && this.deps.transport.hasSubscriber(accepted) !== true) {
            // The push rule (see the module comment): the answer also goes where the agent listens.
            const withDoc = r.execution.jobDocument !== undefined ? r.execution : (await this.deps.jobs.describeJobExecution(this.deps.ctx, { thingName: request.thing, jobId: r.execution.jobId })).execution;
            if (withDoc) await this.send(jobsTopic.notifyNext(request.thing), { timestamp: this.ts(), execution: executionJson(withDoc, request.thing) });
          }
          return;
        }
        case 'start-next': {
          const details = body['statusDetails'];
          const step = body['stepTimeoutInMinutes'];
          if (details !== undefined && !isObject(details)) throw new JobsRequestError('InvalidRequest', 'statusDetails must be an object of strings.');
          if (step !== undefined && typeof step !== 'number') throw new JobsRequestError('InvalidRequest', 'stepTimeoutInMinutes must be a number.');
          const r = await this.deps.jobs.startNextPendingJobExecution(this.deps.ctx, {
            thingName: request.thing,
            ...(details !== undefined ? { statusDetails: details as Record<string, string> } : {}),
            ...(step !== undefined ? { stepTimeoutInMinutes: step } : {}),
          });
          await this.send(`${topic}/accepted`, { ...tok, timestamp: this.ts(), ...(r.execution ? { execution: executionJson(r.execution, request.thing) } : {}) });
          return;
        }
        case 'update': {
          const status = body['status'];
          if (typeof status !== 'string') throw new JobsRequestError('InvalidRequest', 'status is required.');
          const details = body['statusDetails'];
          if (details !== undefined && !isObject(details)) throw new JobsRequestError('InvalidRequest', 'statusDetails must be an object of strings.');
          const num = (k: string) => {
            const v = body[k];
            if (v !== undefined && typeof v !== 'number') throw new JobsRequestError('InvalidRequest', `${k} must be a number.`);
            return v as number | undefined;
          };
          const bool = (k: string) => {
            const v = body[k];
            if (v !== undefined && typeof v !== 'boolean') throw new JobsRequestError('InvalidRequest', `${k} must be a boolean.`);
            return v as boolean | undefined;
          };
          const expectedVersion = num('expectedVersion');
          const executionNumber = num('executionNumber');
          const stepTimeoutInMinutes = num('stepTimeoutInMinutes');
          const includeJobExecutionState = bool('includeJobExecutionState');
          const includeJobDocument = bool('includeJobDocument');
          const r = await this.deps.jobs.updateJobExecution(this.deps.ctx, {
            thingName: request.thing,
            jobId: request.jobId as string,
            status: status as JobExecutionStatus,
            ...(details !== undefined ? { statusDetails: details as Record<string, string> } : {}),
            ...(expectedVersion !== undefined ? { expectedVersion } : {}),
            ...(executionNumber !== undefined ? { executionNumber } : {}),
            ...(stepTimeoutInMinutes !== undefined ? { stepTimeoutInMinutes } : {}),
            ...(includeJobExecutionState !== undefined ? { includeJobExecutionState } : {}),
            ...(includeJobDocument !== undefined ? { includeJobDocument } : {}),
          });
          let jobDocument: unknown;
          if (r.jobDocument !== undefined) jobDocument = JSON.parse(r.jobDocument);
          await this.send(`${topic}/accepted`, {
            ...(r.executionState ? { executionState: r.executionState } : {}),
            ...(jobDocument !== undefined ? { jobDocument } : {}),
            timestamp: this.ts(),
            ...tok,
          });
          return;
        }
      }
    } catch (e) {
      let code: string;
      let message: string;
      let executionState: unknown;
      if (e instanceof JobsRequestError) {
        code = e.code;
        message = e.message;
        executionState = e.executionState;
      } else if (isIotError(e)) {
        code = MQTT_ERROR_CODE[e.code] ?? 'InvalidRequest';
        message = e.message;
        executionState = e.executionState;
      } else {
        this.deps.logger.error('jobs mqtt: internal error', { topic: topic.slice(0, 200), error: String(e) });
        code = 'InternalError';
        message = 'An internal error occurred.';
      }
      try {
        await this.send(`${topic}/rejected`, { code, message, ...(clientToken !== undefined ? { clientToken } : {}), timestamp: this.ts(), ...(executionState ? { executionState } : {}) });
      } catch (err) {
        this.deps.logger.warn('jobs mqtt: could not publish a rejection', { error: String(err) });
      }
    }
  }

  /** Domain events → notify-next, notify and `$aws/events/…`. */
  async onEvent(e: IotEvent): Promise<void> {
    if (e.accountId !== this.deps.ctx.accountId) return;
    const timestamp = this.ts();
    switch (e.kind) {
      case 'next-changed':
        await this.send(jobsTopic.notifyNext(e.thingName), { timestamp, ...(e.execution ? { execution: executionJson(e.execution, e.thingName) } : {}) });
        return;
      case 'pending-changed':
        await this.send(jobsTopic.notify(e.thingName), { timestamp, jobs: { ...(e.inProgressJobs.length ? { IN_PROGRESS: e.inProgressJobs.slice(0, 10).map(summaryJson) } : {}), ...(e.queuedJobs.length ? { QUEUED: e.queuedJobs.slice(0, 10).map(summaryJson) } : {}) } });
        return;
      case 'job': {
        // The documented shape of a job event (AWS IoT developer guide, "Jobs events"); times in ms.
        const j = e.job;
        const ms = (d: Date | undefined) => (d ? new Date(d).getTime() : undefined);
        const counts = j.jobProcessDetails;
        await this.send(eventTopic.job(e.jobId, e.event), {
          eventType: 'JOB',
          eventId: randomUUID(),
          timestamp,
          operation: e.event,
          jobId: e.jobId,
          status: e.event === 'deleted' ? 'DELETION_IN_PROGRESS' : j.status,
          targetSelection: j.targetSelection,
          targets: j.targets,
          ...(j.description !== undefined ? { description: j.description } : {}),
          ...(e.event === 'completed' && j.completedAt ? { completedAt: ms(j.completedAt) } : {}),
          createdAt: ms(j.createdAt),
          lastUpdatedAt: ms(j.lastUpdatedAt),
          ...(e.event === 'completed'
            ? {
                jobProcessDetails: {
                  numberOfCanceledThings: counts.numberOfCanceledThings,
                  numberOfRejectedThings: counts.numberOfRejectedThings,
                  numberOfFailedThings: counts.numberOfFailedThings,
                  numberOfRemovedThings: counts.numberOfRemovedThings,
                  numberOfSucceededThings: counts.numberOfSucceededThings,
                },
              }
            : {}),
          ...(e.event !== 'completed' && j.comment !== undefined ? { comment: j.comment } : {}),
          ...(e.event !== 'completed' && j.reasonCode !== undefined ? { reasonCode: j.reasonCode } : {}),
        });
        return;
      }
      case 'job-execution':
        await this.send(eventTopic.jobExecution(e.jobId, e.event), {
          eventType: 'JOB_EXECUTION',
          eventId: randomUUID(),
          timestamp,
          operation: e.event,
          jobId: e.jobId,
          thingArn: e.execution.thingArn,
          status: e.execution.status,
          ...(Object.keys(e.execution.statusDetails ?? {}).length ? { statusDetails: e.execution.statusDetails } : {}),
        });
        return;
    }
  }
}
