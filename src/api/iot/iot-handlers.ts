/**
 * The AWS IoT control plane's REST handlers: validated input (from the `iot` model) in, the model's
 * output shape out. Each one calls a `src/iot` service and renames fields; no domain rule lives here.
 */
import type {
  CertificateStatus,
  DeviceCertificate,
  IotContext,
  IotServices,
  Job,
  JobExecution,
  JobExecutionStatus,
  JobStatus,
  OtaUpdate,
  OtaUpdateStatus,
  Stream,
  StreamFile,
  ThingGroup,
} from '../../iot/index.js';
import { IotError, type TagService } from '../../iot/index.js';
import type { RestCaller } from '../server.js';

type In = Record<string, unknown>;
export type IotHandler = (caller: RestCaller, input: In) => unknown;

/** What DescribeEndpoint answers for each endpoint type (undefined: this server has none). */
export type EndpointLookup = (endpointType: string) => string | undefined;

const ctx = (c: RestCaller): IotContext => ({ accountId: c.accountId, region: c.region });
/* eslint-disable @typescript-eslint/no-explicit-any */
const page = (i: In) => ({ nextToken: i.nextToken as string | undefined, maxResults: i.maxResults as number | undefined });

const groupRef = (g: ThingGroup) => ({ groupName: g.thingGroupName, groupArn: g.thingGroupArn });

function certificateDescription(c: DeviceCertificate) {
  return {
    certificateArn: c.certificateArn,
    certificateId: c.certificateId,
    caCertificateId: c.caCertificateId,
    status: c.status,
    certificatePem: c.certificatePem,
    ownedBy: c.ownedBy,
    creationDate: c.creationDate,
    lastModifiedDate: c.lastModifiedDate,
    customerVersion: 1,
    validity: c.validity,
    certificateMode: c.certificateMode,
  };
}

const streamSummary = (s: Stream) => ({ streamId: s.streamId, streamArn: s.streamArn, streamVersion: s.streamVersion, description: s.description });

function executionOut(e: JobExecution) {
  return {
    jobId: e.jobId,
    status: e.status,
    forceCanceled: e.forceCanceled,
    statusDetails: { detailsMap: e.statusDetails },
    thingArn: e.thingArn,
    queuedAt: e.queuedAt,
    startedAt: e.startedAt,
    lastUpdatedAt: e.lastUpdatedAt,
    executionNumber: e.executionNumber,
    versionNumber: e.versionNumber,
    approximateSecondsBeforeTimedOut:
      e.status === 'IN_PROGRESS' && e.timeoutAt ? Math.max(0, Math.round((e.timeoutAt.getTime() - Date.now()) / 1000)) : undefined,
  };
}

const executionSummary = (e: JobExecution) => ({
  status: e.status,
  queuedAt: e.queuedAt,
  startedAt: e.startedAt,
  lastUpdatedAt: e.lastUpdatedAt,
  executionNumber: e.executionNumber,
  retryAttempt: e.executionNumber - 1,
});

function jobOut(j: Job) {
  return { ...j, targets: j.targets, jobProcessDetails: j.jobProcessDetails };
}

function otaUpdateInfo(u: OtaUpdate) {
  return { ...u };
}

/** `arn:aws:iot:<region>:<account>:thing/<name>` or `…:thinggroup/<name>` → name (AddThingToThingGroup takes either form). */
function nameFromArn(arn: string | undefined, kind: 'thing' | 'thinggroup'): string | undefined {
  if (arn === undefined) return undefined;
  const m = /^arn:[^:]+:iot:[^:]*:[^:]*:([a-z]+)\/(.+)$/.exec(arn);
  if (!m || m[1] !== kind) throw new IotError('InvalidRequestException', `${arn} is not a ${kind} ARN.`);
  return m[2];
}

type Tagged = { Key: string; Value?: string }[] | undefined;

export function iotHandlers(iot: IotServices, endpoint: EndpointLookup, tags: TagService): Record<string, IotHandler> {
  const { things, certificates, streams, jobs, otaUpdates } = iot;
  /** Create* with `tags`: the list is checked first (a bad one creates nothing), then kept on the new resource. */
  const createTagged = async <T>(c: RestCaller, i: In, create: () => Promise<T>, arnOf: (made: T) => string): Promise<T> => {
    const list = i.tags as Tagged;
    tags.checkTags(list);
    const made = await create();
    if (list?.length) await tags.tagResource(ctx(c), arnOf(made), list);
    return made;
  };
  return {
    // ------------------------------------------------------------ things
    CreateThing: async (c, i) => {
      const t = await things.createThing(ctx(c), i as any);
      return { thingName: t.thingName, thingArn: t.thingArn, thingId: t.thingId };
    },
    DescribeThing: async (c, i) => {
      const t = await things.describeThing(ctx(c), i.thingName as string);
      return { defaultClientId: t.thingName, ...t };
    },
    ListThings: async (c, i) => {
      if (i.usePrefixAttributeValue === true) throw new IotError('InvalidRequestException', 'usePrefixAttributeValue is not supported by this server; attributeValue matches exactly.');
      const r = await things.listThings(ctx(c), { ...page(i), attributeName: i.attributeName as string, attributeValue: i.attributeValue as string, thingTypeName: i.thingTypeName as string });
      return { things: r.items, nextToken: r.nextToken };
    },
    UpdateThing: async (c, i) => {
      await things.updateThing(ctx(c), i as any);
      return {};
    },
    DeleteThing: async (c, i) => {
      await things.deleteThing(ctx(c), { thingName: i.thingName as string, expectedVersion: i.expectedVersion as number | undefined });
      return {};
    },

    // ------------------------------------------------------------ thing groups
    CreateThingGroup: async (c, i) => {
      const g = await createTagged(c, i, () => things.createThingGroup(ctx(c), i as any), (x) => x.thingGroupArn);
      return { thingGroupName: g.thingGroupName, thingGroupArn: g.thingGroupArn, thingGroupId: g.thingGroupId };
    },
    DescribeThingGroup: async (c, i) => {
      const g = await things.describeThingGroup(ctx(c), i.thingGroupName as string);
      const parents: ThingGroup[] = [];
      for (let p = g.parentGroupName; p !== undefined; ) {
        const parent = await things.describeThingGroup(ctx(c), p);
        parents.unshift(parent);
        p = parent.parentGroupName;
      }
      return {
        thingGroupName: g.thingGroupName,
        thingGroupId: g.thingGroupId,
        thingGroupArn: g.thingGroupArn,
        version: g.version,
        thingGroupProperties: g.thingGroupProperties,
        thingGroupMetadata: { parentGroupName: g.parentGroupName, rootToParentThingGroups: parents.length ? parents.map(groupRef) : undefined, creationDate: g.createdAt },
      };
    },
    ListThingGroups: async (c, i) => {
      const r = await things.listThingGroups(ctx(c), { ...page(i), parentGroup: i.parentGroup as string, namePrefixFilter: i.namePrefixFilter as string, recursive: i.recursive as boolean });
      return { thingGroups: r.items.map(groupRef), nextToken: r.nextToken };
    },
    AddThingToThingGroup: async (c, i) => {
      const thingName = (i.thingName as string | undefined) ?? nameFromArn(i.thingArn as string | undefined, 'thing');
      const thingGroupName = (i.thingGroupName as string | undefined) ?? nameFromArn(i.thingGroupArn as string | undefined, 'thinggroup');
      if (!thingName) throw new IotError('InvalidRequestException', 'Either thingName or thingArn must be given.');
      if (!thingGroupName) throw new IotError('InvalidRequestException', 'Either thingGroupName or thingGroupArn must be given.');
      await things.addThingToThingGroup(ctx(c), { thingName, thingGroupName });
      return {};
    },
    ListThingsInThingGroup: async (c, i) => {
      const r = await things.listThingsInThingGroup(ctx(c), { ...page(i), thingGroupName: i.thingGroupName as string, recursive: i.recursive as boolean });
      return { things: r.items, nextToken: r.nextToken };
    },

    // ------------------------------------------------------------ certificates
    CreateKeysAndCertificate: async (c, i) => {
      const r = await certificates.createKeysAndCertificate(ctx(c), { setAsActive: i.setAsActive as boolean | undefined });
      return { certificateArn: r.certificate.certificateArn, certificateId: r.certificate.certificateId, certificatePem: r.certificate.certificatePem, keyPair: r.keyPair };
    },
    RegisterCertificateWithoutCA: async (c, i) => {
      const r = await certificates.registerCertificateWithoutCA(ctx(c), { certificatePem: i.certificatePem as string, status: i.status as CertificateStatus | undefined });
      return { certificateArn: r.certificateArn, certificateId: r.certificateId };
    },
    DescribeCertificate: async (c, i) => ({ certificateDescription: certificateDescription(await certificates.describeCertificate(ctx(c), i.certificateId as string)) }),
    ListCertificates: async (c, i) => {
      // The model's `marker` is standard base64 ([A-Za-z0-9+/]+={0,2}); the domain's token is any text, so it travels wrapped.
      const marker = i.marker === undefined ? undefined : Buffer.from(i.marker as string, 'base64').toString('utf8');
      const r = await certificates.listCertificates(ctx(c), { nextToken: marker, maxResults: i.pageSize as number, ascendingOrder: i.ascendingOrder as boolean });
      return {
        certificates: r.items.map((x) => ({ certificateArn: x.certificateArn, certificateId: x.certificateId, status: x.status, certificateMode: x.certificateMode, creationDate: x.creationDate })),
        nextMarker: r.nextToken === undefined ? undefined : Buffer.from(r.nextToken, 'utf8').toString('base64'),
      };
    },
    UpdateCertificate: async (c, i) => {
      await certificates.updateCertificate(ctx(c), { certificateId: i.certificateId as string, newStatus: i.newStatus as CertificateStatus });
      return {};
    },
    AttachThingPrincipal: async (c, i) => {
      await certificates.attachThingPrincipal(ctx(c), { thingName: i.thingName as string, principal: i.principal as string });
      return {};
    },
    DetachThingPrincipal: async (c, i) => {
      await certificates.detachThingPrincipal(ctx(c), { thingName: i.thingName as string, principal: i.principal as string });
      return {};
    },
    ListThingPrincipals: async (c, i) => {
      const r = await certificates.listThingPrincipals(ctx(c), { ...page(i), thingName: i.thingName as string });
      return { principals: r.items, nextToken: r.nextToken };
    },
    DescribeEndpoint: (_c, i) => {
      // AWS answers iot:Data (the legacy VeriSign endpoint) when no type is given.
      const type = (i.endpointType as string | undefined) ?? 'iot:Data';
      const address = endpoint(type);
      if (address === undefined) throw new IotError('InvalidRequestException', `Endpoint type ${type} is not one this server has (iot:Data-ATS, iot:Data, iot:Jobs).`);
      return { endpointAddress: address };
    },

    // ------------------------------------------------------------ streams
    CreateStream: async (c, i) => streamSummary(await createTagged(c, i, () => streams.createStream(ctx(c), i as any), (x) => x.streamArn)),
    DescribeStream: async (c, i) => {
      const s = await streams.describeStream(ctx(c), i.streamId as string);
      return { streamInfo: s };
    },
    ListStreams: async (c, i) => {
      const r = await streams.listStreams(ctx(c), { ...page(i), ascendingOrder: i.ascendingOrder as boolean });
      return { streams: r.items.map(streamSummary), nextToken: r.nextToken };
    },
    UpdateStream: async (c, i) =>
      streamSummary(
        await streams.updateStream(ctx(c), {
          streamId: i.streamId as string,
          description: i.description as string | undefined,
          files: i.files as StreamFile[] | undefined,
          roleArn: i.roleArn as string | undefined,
        }),
      ),
    DeleteStream: async (c, i) => {
      const arn = (await streams.describeStream(ctx(c), i.streamId as string)).streamArn;
      await streams.deleteStream(ctx(c), i.streamId as string);
      tags.forget(ctx(c), arn);
      return {};
    },

    // ------------------------------------------------------------ OTA updates
    CreateOTAUpdate: async (c, i) =>
      createTagged(c, i, () => otaUpdates.createOTAUpdate(ctx(c), i as unknown as Parameters<typeof otaUpdates.createOTAUpdate>[1]), (x) => x.otaUpdateArn),
    GetOTAUpdate: async (c, i) => ({ otaUpdateInfo: otaUpdateInfo(await otaUpdates.getOTAUpdate(ctx(c), i.otaUpdateId as string)) }),
    ListOTAUpdates: async (c, i) => {
      const r = await otaUpdates.listOTAUpdates(ctx(c), { ...page(i), otaUpdateStatus: i.otaUpdateStatus as OtaUpdateStatus | undefined });
      return { otaUpdates: r.items.map((u) => ({ otaUpdateId: u.otaUpdateId, otaUpdateArn: u.otaUpdateArn, creationDate: u.creationDate })), nextToken: r.nextToken };
    },
    DeleteOTAUpdate: async (c, i) => {
      const arn = (await otaUpdates.getOTAUpdate(ctx(c), i.otaUpdateId as string)).otaUpdateArn;
      await otaUpdates.deleteOTAUpdate(ctx(c), { otaUpdateId: i.otaUpdateId as string, deleteStream: i.deleteStream as boolean, forceDeleteAWSJob: i.forceDeleteAWSJob as boolean });
      tags.forget(ctx(c), arn);
      return {};
    },

    // ------------------------------------------------------------ jobs
    CreateJob: async (c, i) => {
      // Members that would change when or what the job runs are refused rather than ignored.
      for (const m of ['schedulingConfig', 'jobTemplateArn', 'namespaceId'] as const) {
        if (i[m] !== undefined) throw new IotError('InvalidRequestException', `${m} is not supported by this server.`);
      }
      if (i.document === undefined) {
        // documentSource is an S3 URL in AWS; this server takes the document inline only.
        throw new IotError('InvalidRequestException', i.documentSource !== undefined ? 'documentSource is not supported by this server; pass the document inline.' : 'document is required.');
      }
      const j = await createTagged(c, i, () => jobs.createJob(ctx(c), i as any), (x) => x.jobArn);
      return { jobArn: j.jobArn, jobId: j.jobId, description: j.description };
    },
    DescribeJob: async (c, i) => ({ job: jobOut(await jobs.describeJob(ctx(c), i.jobId as string)) }),
    ListJobs: async (c, i) => {
      const r = await jobs.listJobs(ctx(c), {
        ...page(i),
        status: i.status as JobStatus | undefined,
        targetSelection: i.targetSelection as 'SNAPSHOT' | 'CONTINUOUS' | undefined,
        thingGroupName: i.thingGroupName as string | undefined,
      });
      return {
        jobs: r.items.map((j) => ({ jobArn: j.jobArn, jobId: j.jobId, targetSelection: j.targetSelection, status: j.status, createdAt: j.createdAt, lastUpdatedAt: j.lastUpdatedAt, completedAt: j.completedAt })),
        nextToken: r.nextToken,
      };
    },
    CancelJob: async (c, i) => {
      const j = await jobs.cancelJob(ctx(c), { jobId: i.jobId as string, reasonCode: i.reasonCode as string, comment: i.comment as string, force: i.force as boolean });
      return { jobArn: j.jobArn, jobId: j.jobId, description: j.description };
    },
    DeleteJob: async (c, i) => {
      const arn = (await jobs.describeJob(ctx(c), i.jobId as string)).jobArn;
      await jobs.deleteJob(ctx(c), { jobId: i.jobId as string, force: i.force as boolean });
      tags.forget(ctx(c), arn);
      return {};
    },
    DescribeJobExecution: async (c, i) => ({
      execution: executionOut(await jobs.describeJobExecution(ctx(c), { jobId: i.jobId as string, thingName: i.thingName as string, executionNumber: i.executionNumber as number })),
    }),
    ListJobExecutionsForJob: async (c, i) => {
      const r = await jobs.listJobExecutionsForJob(ctx(c), { ...page(i), jobId: i.jobId as string, status: i.status as JobExecutionStatus | undefined });
      return { executionSummaries: r.items.map((e) => ({ thingArn: e.thingArn, jobExecutionSummary: executionSummary(e) })), nextToken: r.nextToken };
    },
    ListJobExecutionsForThing: async (c, i) => {
      const r = await jobs.listJobExecutionsForThing(ctx(c), { ...page(i), thingName: i.thingName as string, status: i.status as JobExecutionStatus | undefined });
      const items = i.jobId === undefined ? r.items : r.items.filter((e) => e.jobId === i.jobId);
      return { executionSummaries: items.map((e) => ({ jobId: e.jobId, jobExecutionSummary: executionSummary(e) })), nextToken: r.nextToken };
    },
    CancelJobExecution: async (c, i) => {
      await jobs.cancelJobExecution(ctx(c), i as any);
      return {};
    },
    GetJobDocument: async (c, i) => ({ document: await jobs.getJobDocument(ctx(c), i.jobId as string) }),

    // ------------------------------------------------------------ tags
    TagResource: async (c, i) => {
      await tags.tagResource(ctx(c), i.resourceArn as string, i.tags as { Key: string; Value?: string }[]);
      return {};
    },
    UntagResource: async (c, i) => {
      await tags.untagResource(ctx(c), i.resourceArn as string, i.tagKeys as string[]);
      return {};
    },
    ListTagsForResource: async (c, i) => {
      const r = await tags.listTagsForResource(ctx(c), { resourceArn: i.resourceArn as string, nextToken: i.nextToken as string | undefined });
      return { tags: r.items, nextToken: r.nextToken };
    },
  };
}
