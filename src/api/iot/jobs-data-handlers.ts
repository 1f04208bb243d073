/**
 * The AWS IoT Jobs data plane over HTTP (`iot-jobs-data`): what a device asks about its own jobs.
 * The same `src/iot` service answers the Jobs MQTT API; these handlers only rename fields.
 */
import type { DeviceJobExecution, IotContext, IotServices, JobExecutionStatus, JobExecutionSummary } from '../../iot/index.js';
import type { RestCaller } from '../server.js';

type In = Record<string, unknown>;
const ctx = (c: RestCaller): IotContext => ({ accountId: c.accountId, region: c.region });

/** The data plane's timestamps are epoch seconds in `long` members. */
const secs = (d: Date | undefined) => (d === undefined ? undefined : Math.floor(d.getTime() / 1000));

const summary = (s: JobExecutionSummary) => ({
  jobId: s.jobId,
  queuedAt: secs(s.queuedAt),
  startedAt: secs(s.startedAt),
  lastUpdatedAt: secs(s.lastUpdatedAt),
  versionNumber: s.versionNumber,
  executionNumber: s.executionNumber,
});

const execution = (e: DeviceJobExecution | undefined) =>
  e && {
    ...summary(e),
    thingName: e.thingName,
    status: e.status,
    statusDetails: e.statusDetails,
    approximateSecondsBeforeTimedOut: e.approximateSecondsBeforeTimedOut,
    jobDocument: e.jobDocument,
  };

export function jobsDataHandlers(iot: IotServices): Record<string, (caller: RestCaller, input: In) => unknown> {
  const data = iot.jobsData;
  return {
    GetPendingJobExecutions: async (c, i) => {
      const r = await data.getPendingJobExecutions(ctx(c), i.thingName as string);
      return { inProgressJobs: r.inProgressJobs.map(summary), queuedJobs: r.queuedJobs.map(summary) };
    },
    StartNextPendingJobExecution: async (c, i) => {
      const r = await data.startNextPendingJobExecution(ctx(c), {
        thingName: i.thingName as string,
        statusDetails: i.statusDetails as Record<string, string> | undefined,
        stepTimeoutInMinutes: i.stepTimeoutInMinutes as number | undefined,
      });
      return { execution: execution(r.execution) };
    },
    DescribeJobExecution: async (c, i) => {
      const r = await data.describeJobExecution(ctx(c), {
        thingName: i.thingName as string,
        jobId: i.jobId as string,
        includeJobDocument: i.includeJobDocument as boolean | undefined,
        executionNumber: i.executionNumber as number | undefined,
      });
      return { execution: execution(r.execution) };
    },
    UpdateJobExecution: async (c, i) => {
      const r = await data.updateJobExecution(ctx(c), {
        thingName: i.thingName as string,
        jobId: i.jobId as string,
        status: i.status as JobExecutionStatus,
        statusDetails: i.statusDetails as Record<string, string> | undefined,
        expectedVersion: i.expectedVersion as number | undefined,
        executionNumber: i.executionNumber as number | undefined,
        includeJobExecutionState: i.includeJobExecutionState as boolean | undefined,
        includeJobDocument: i.includeJobDocument as boolean | undefined,
        stepTimeoutInMinutes: i.stepTimeoutInMinutes as number | undefined,
      });
      return { executionState: r.executionState, jobDocument: r.jobDocument };
    },
  };
}
