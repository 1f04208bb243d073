/**
 * The AWS IoT domain as this server keeps it: records and the service interfaces that the REST
 * handlers (src/api), the Jobs MQTT API (src/ota) and the CLI call. Member names follow the AWS
 * IoT API model (camelCase) so handlers map inputs and outputs one to one. Dates are `Date`;
 * the serializer turns them into epoch seconds.
 */

/** Who is calling: the account that owns the resources, and the region in ARNs. */
export interface IotContext {
  accountId: string;
  region: string;
}

export type Tags = { Key: string; Value?: string }[];

/** A page of results; `nextToken` is opaque and continues after the last item. */
export interface Paged<T> {
  items: T[];
  nextToken?: string;
}
export interface PageRequest {
  nextToken?: string;
  maxResults?: number;
}

// ---------------------------------------------------------------- things and groups

export interface Thing {
  thingName: string;
  thingId: string;
  thingArn: string;
  thingTypeName?: string;
  attributes: Record<string, string>;
  /** Incremented by every update; UpdateThing/DeleteThing may pass `expectedVersion`. */
  version: number;
  createdAt: Date;
}

export interface ThingGroup {
  thingGroupName: string;
  thingGroupId: string;
  thingGroupArn: string;
  parentGroupName?: string;
  thingGroupProperties: { thingGroupDescription?: string; attributePayload?: { attributes?: Record<string, string> } };
  version: number;
  createdAt: Date;
}

export interface ThingService {
  createThing(ctx: IotContext, input: { thingName: string; thingTypeName?: string; attributePayload?: { attributes?: Record<string, string> } }): Promise<Thing>;
  describeThing(ctx: IotContext, thingName: string): Promise<Thing>;
  listThings(ctx: IotContext, input: PageRequest & { attributeName?: string; attributeValue?: string; thingTypeName?: string }): Promise<Paged<Thing>>;
  /** `merge` true adds to the attributes, false replaces them; an empty value removes a key (AWS rule). */
  updateThing(
    ctx: IotContext,
    input: { thingName: string; thingTypeName?: string; removeThingType?: boolean; attributePayload?: { attributes?: Record<string, string>; merge?: boolean }; expectedVersion?: number },
  ): Promise<Thing>;
  deleteThing(ctx: IotContext, input: { thingName: string; expectedVersion?: number }): Promise<void>;

  createThingGroup(ctx: IotContext, input: { thingGroupName: string; parentGroupName?: string; thingGroupProperties?: ThingGroup['thingGroupProperties']; tags?: Tags }): Promise<ThingGroup>;
  describeThingGroup(ctx: IotContext, thingGroupName: string): Promise<ThingGroup>;
  listThingGroups(ctx: IotContext, input: PageRequest & { parentGroup?: string; namePrefixFilter?: string; recursive?: boolean }): Promise<Paged<ThingGroup>>;
  /** Adds a thing to a group; CONTINUOUS jobs targeting the group then reach the thing. */
  addThingToThingGroup(ctx: IotContext, input: { thingName: string; thingGroupName: string }): Promise<void>;
  removeThingFromThingGroup(ctx: IotContext, input: { thingName: string; thingGroupName: string }): Promise<void>;
  listThingsInThingGroup(ctx: IotContext, input: PageRequest & { thingGroupName: string; recursive?: boolean }): Promise<Paged<string>>;
  listThingGroupsForThing(ctx: IotContext, input: PageRequest & { thingName: string }): Promise<Paged<ThingGroup>>;
}

// ---------------------------------------------------------------- device certificates

export type CertificateStatus = 'ACTIVE' | 'INACTIVE' | 'REVOKED' | 'PENDING_TRANSFER' | 'REGISTER_INACTIVE' | 'PENDING_ACTIVATION';

export interface DeviceCertificate {
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
  status: CertificateStatus;
  /** 'DEFAULT' for certificates issued by or registered with a CA; 'SNI_ONLY' for RegisterCertificateWithoutCA. */
  certificateMode: 'DEFAULT' | 'SNI_ONLY';
  /** Set when our device CA issued it (CreateKeysAndCertificate). */
  caCertificateId?: string;
  ownedBy: string;
  creationDate: Date;
  lastModifiedDate: Date;
  validity: { notBefore: Date; notAfter: Date };
}

export interface CertificateService {
  /** Makes a P-256 key and a certificate signed by the device CA. The private key is returned once and not kept. */
  createKeysAndCertificate(ctx: IotContext, input: { setAsActive?: boolean }): Promise<{ certificate: DeviceCertificate; keyPair: { PublicKey: string; PrivateKey: string } }>;
  registerCertificateWithoutCA(ctx: IotContext, input: { certificatePem: string; status?: CertificateStatus }): Promise<DeviceCertificate>;
  describeCertificate(ctx: IotContext, certificateId: string): Promise<DeviceCertificate>;
  listCertificates(ctx: IotContext, input: PageRequest & { ascendingOrder?: boolean }): Promise<Paged<DeviceCertificate>>;
  /** ACTIVE/INACTIVE/REVOKED; a REVOKED certificate cannot become ACTIVE again (CertificateStateException). */
  updateCertificate(ctx: IotContext, input: { certificateId: string; newStatus: CertificateStatus }): Promise<void>;
  /** Only INACTIVE/REVOKED certificates with no attached things can be deleted (DeleteConflictException). */
  deleteCertificate(ctx: IotContext, input: { certificateId: string; forceDelete?: boolean }): Promise<void>;
  /** `principal` is a certificate ARN. */
  attachThingPrincipal(ctx: IotContext, input: { thingName: string; principal: string }): Promise<void>;
  detachThingPrincipal(ctx: IotContext, input: { thingName: string; principal: string }): Promise<void>;
  listThingPrincipals(ctx: IotContext, input: PageRequest & { thingName: string }): Promise<Paged<string>>;
  listPrincipalThings(ctx: IotContext, input: PageRequest & { principal: string }): Promise<Paged<string>>;
  /** PEM of the CA that signs CreateKeysAndCertificate certificates (devices' broker trust is separate). */
  deviceCaPem(): string;
  /**
   * The broker's question at CONNECT: which things may this client certificate (DER) act as?
   * Undefined when it is unknown or not ACTIVE.
   */
  authenticateDevice(certificateDer: Uint8Array): Promise<{ accountId: string; certificateId: string; thingNames: string[] } | undefined>;
}

// ---------------------------------------------------------------- streams

export interface StreamFile {
  fileId: number;
  s3Location: { bucket: string; key: string; version?: string };
}

export interface Stream {
  streamId: string;
  streamArn: string;
  streamVersion: number;
  description?: string;
  files: StreamFile[];
  roleArn: string;
  createdAt: Date;
  lastUpdatedAt: Date;
}

export interface StreamService {
  createStream(ctx: IotContext, input: { streamId: string; description?: string; files: StreamFile[]; roleArn: string; tags?: Tags }): Promise<Stream>;
  describeStream(ctx: IotContext, streamId: string): Promise<Stream>;
  listStreams(ctx: IotContext, input: PageRequest & { ascendingOrder?: boolean }): Promise<Paged<Stream>>;
  updateStream(ctx: IotContext, input: { streamId: string; description?: string; files?: StreamFile[]; roleArn?: string }): Promise<Stream>;
  deleteStream(ctx: IotContext, streamId: string): Promise<void>;
  /** The bytes of one stream file, read from the object store (for the MQTT file-stream server). */
  readFile(ctx: IotContext, streamId: string, fileId: number): Promise<{ size: number; read(offset: number, length: number): Promise<Uint8Array> }>;
}

// ---------------------------------------------------------------- jobs and executions

export type JobStatus = 'IN_PROGRESS' | 'CANCELED' | 'COMPLETED' | 'DELETION_IN_PROGRESS' | 'SCHEDULED';
export type JobExecutionStatus = 'QUEUED' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'REJECTED' | 'REMOVED' | 'CANCELED';
export const TERMINAL_EXECUTION_STATUSES: readonly JobExecutionStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'REJECTED', 'REMOVED', 'CANCELED'];

export interface JobExecutionsRolloutConfig {
  maximumPerMinute?: number;
  exponentialRate?: {
    baseRatePerMinute: number;
    incrementFactor: number;
    rateIncreaseCriteria: { numberOfNotifiedThings?: number; numberOfSucceededThings?: number };
  };
}
export interface AbortConfig {
  criteriaList: { failureType: 'FAILED' | 'REJECTED' | 'TIMED_OUT' | 'ALL'; action: 'CANCEL'; thresholdPercentage: number; minNumberOfExecutedThings: number }[];
}
export interface TimeoutConfig {
  inProgressTimeoutInMinutes?: number;
}
export interface JobExecutionsRetryConfig {
  criteriaList: { failureType: 'FAILED' | 'TIMED_OUT' | 'ALL'; numberOfRetries: number }[];
}

export interface Job {
  jobId: string;
  jobArn: string;
  targetSelection: 'SNAPSHOT' | 'CONTINUOUS';
  status: JobStatus;
  forceCanceled?: boolean;
  reasonCode?: string;
  comment?: string;
  /** Thing and thing-group ARNs. */
  targets: string[];
  description?: string;
  /** The job document, a JSON text (≤ 32 KiB). */
  document: string;
  jobExecutionsRolloutConfig?: JobExecutionsRolloutConfig;
  abortConfig?: AbortConfig;
  timeoutConfig?: TimeoutConfig;
  jobExecutionsRetryConfig?: JobExecutionsRetryConfig;
  createdAt: Date;
  lastUpdatedAt: Date;
  completedAt?: Date;
  jobProcessDetails: {
    numberOfQueuedThings: number;
    numberOfInProgressThings: number;
    numberOfSucceededThings: number;
    numberOfFailedThings: number;
    numberOfRejectedThings: number;
    numberOfCanceledThings: number;
    numberOfRemovedThings: number;
    numberOfTimedOutThings: number;
  };
}

export interface JobExecution {
  jobId: string;
  thingName: string;
  thingArn: string;
  status: JobExecutionStatus;
  forceCanceled?: boolean;
  /** String → string; keys `[a-zA-Z0-9:_-]+` ≤ 128, values 1–1024 characters, at most 10 entries. */
  statusDetails: Record<string, string>;
  queuedAt: Date;
  startedAt?: Date;
  lastUpdatedAt: Date;
  /** Starts at 1; a retry makes a new execution with the next number. */
  executionNumber: number;
  /** Incremented by every change of the execution; devices pass it back as `expectedVersion`. */
  versionNumber: number;
  /** When IN_PROGRESS with a timeout: the moment it becomes TIMED_OUT. */
  timeoutAt?: Date;
}

export interface JobService {
  createJob(
    ctx: IotContext,
    input: {
      jobId: string;
      targets: string[];
      document: string;
      description?: string;
      targetSelection?: 'SNAPSHOT' | 'CONTINUOUS';
      jobExecutionsRolloutConfig?: JobExecutionsRolloutConfig;
      abortConfig?: AbortConfig;
      timeoutConfig?: TimeoutConfig;
      jobExecutionsRetryConfig?: JobExecutionsRetryConfig;
      tags?: Tags;
    },
  ): Promise<Job>;
  describeJob(ctx: IotContext, jobId: string): Promise<Job>;
  listJobs(ctx: IotContext, input: PageRequest & { status?: JobStatus; targetSelection?: 'SNAPSHOT' | 'CONTINUOUS'; thingGroupName?: string }): Promise<Paged<Job>>;
  getJobDocument(ctx: IotContext, jobId: string): Promise<string>;
  /** Without `force`, IN_PROGRESS executions keep running; with it they become CANCELED too. */
  cancelJob(ctx: IotContext, input: { jobId: string; reasonCode?: string; comment?: string; force?: boolean }): Promise<Job>;
  /** A job that still has IN_PROGRESS executions needs `force`. */
  deleteJob(ctx: IotContext, input: { jobId: string; force?: boolean }): Promise<void>;
  describeJobExecution(ctx: IotContext, input: { jobId: string; thingName: string; executionNumber?: number }): Promise<JobExecution>;
  listJobExecutionsForJob(ctx: IotContext, input: PageRequest & { jobId: string; status?: JobExecutionStatus }): Promise<Paged<JobExecution>>;
  listJobExecutionsForThing(ctx: IotContext, input: PageRequest & { thingName: string; status?: JobExecutionStatus }): Promise<Paged<JobExecution>>;
  /** QUEUED → CANCELED; IN_PROGRESS needs `force`; `expectedVersion` guards against a race with the device. */
  cancelJobExecution(ctx: IotContext, input: { jobId: string; thingName: string; force?: boolean; expectedVersion?: number; statusDetails?: Record<string, string> }): Promise<void>;
  deleteJobExecution(ctx: IotContext, input: { jobId: string; thingName: string; executionNumber: number; force?: boolean }): Promise<void>;
}

/** The device's view (iot-jobs-data over HTTPS, and the Jobs MQTT API over MQTT). */
export interface JobsDataService {
  getPendingJobExecutions(ctx: IotContext, thingName: string): Promise<{ inProgressJobs: JobExecutionSummary[]; queuedJobs: JobExecutionSummary[] }>;
  /** `jobId` may be `$next`; undefined when `$next` has nothing pending. */
  describeJobExecution(ctx: IotContext, input: { thingName: string; jobId: string; includeJobDocument?: boolean; executionNumber?: number }): Promise<{ execution?: DeviceJobExecution }>;
  startNextPendingJobExecution(ctx: IotContext, input: { thingName: string; statusDetails?: Record<string, string>; stepTimeoutInMinutes?: number }): Promise<{ execution?: DeviceJobExecution }>;
  updateJobExecution(
    ctx: IotContext,
    input: {
      thingName: string;
      jobId: string;
      status: JobExecutionStatus;
      statusDetails?: Record<string, string>;
      expectedVersion?: number;
      executionNumber?: number;
      includeJobExecutionState?: boolean;
      includeJobDocument?: boolean;
      stepTimeoutInMinutes?: number;
    },
  ): Promise<{ executionState?: { status: JobExecutionStatus; statusDetails: Record<string, string>; versionNumber: number }; jobDocument?: string }>;
}

export interface JobExecutionSummary {
  jobId: string;
  queuedAt: Date;
  startedAt?: Date;
  lastUpdatedAt: Date;
  versionNumber: number;
  executionNumber: number;
}

/** A JobExecution as the data plane returns it (with the document as text). */
export interface DeviceJobExecution extends JobExecutionSummary {
  thingName: string;
  status: JobExecutionStatus;
  statusDetails: Record<string, string>;
  approximateSecondsBeforeTimedOut?: number;
  jobDocument?: string;
}

/** What changed, for the Jobs MQTT API and `$aws/events/…`. Listeners must not throw. */
export type IotEvent =
  /** The first pending execution of a thing is now `execution` (undefined: none left). */
  | { kind: 'next-changed'; accountId: string; thingName: string; execution?: DeviceJobExecution }
  /** The thing's pending list changed (for `jobs/notify`). */
  | { kind: 'pending-changed'; accountId: string; thingName: string; inProgressJobs: JobExecutionSummary[]; queuedJobs: JobExecutionSummary[] }
  | { kind: 'job'; accountId: string; jobId: string; event: 'completed' | 'canceled' | 'deleted' | 'cancellation_in_progress' | 'deletion_in_progress'; job: Job }
  | { kind: 'job-execution'; accountId: string; jobId: string; thingName: string; event: 'succeeded' | 'failed' | 'rejected' | 'canceled' | 'timed_out' | 'removed' | 'deleted'; execution: JobExecution };

export interface IotEvents {
  subscribe(listener: (event: IotEvent) => void): () => void;
}

// ---------------------------------------------------------------- OTA updates

export type OtaUpdateStatus = 'CREATE_PENDING' | 'CREATE_IN_PROGRESS' | 'CREATE_COMPLETE' | 'CREATE_FAILED' | 'DELETE_IN_PROGRESS' | 'DELETE_FAILED';

export interface OtaUpdateFile {
  fileName?: string;
  fileType?: number;
  fileVersion?: string;
  fileLocation?: { stream?: { streamId?: string; fileId?: number }; s3Location?: { bucket?: string; key?: string; version?: string } };
  codeSigning?: {
    awsSignerJobId?: string;
    startSigningJobParameter?: {
      signingProfileParameter?: { certificateArn?: string; platform?: string; certificatePathOnDevice?: string };
      signingProfileName?: string;
      destination?: { s3Destination?: { bucket?: string; prefix?: string } };
    };
    customCodeSigning?: {
      signature?: { inlineDocument?: Uint8Array };
      certificateChain?: { certificateName?: string; inlineDocument?: string };
      hashAlgorithm?: string;
      signatureAlgorithm?: string;
    };
  };
  attributes?: Record<string, string>;
}

export interface OtaUpdate {
  otaUpdateId: string;
  otaUpdateArn: string;
  description?: string;
  targets: string[];
  protocols: ('MQTT' | 'HTTP')[];
  targetSelection: 'SNAPSHOT' | 'CONTINUOUS';
  awsJobExecutionsRolloutConfig?: { maximumPerMinute?: number; exponentialRate?: JobExecutionsRolloutConfig['exponentialRate'] };
  awsJobAbortConfig?: { abortCriteriaList: AbortConfig['criteriaList'] };
  awsJobTimeoutConfig?: TimeoutConfig;
  otaUpdateFiles: OtaUpdateFile[];
  roleArn: string;
  additionalParameters?: Record<string, string>;
  otaUpdateStatus: OtaUpdateStatus;
  awsIotJobId?: string;
  awsIotJobArn?: string;
  /** The stream made for the update (AFR_OTA-<uuid>), when the file came from S3. */
  streamId?: string;
  errorInfo?: { code?: string; message?: string };
  creationDate: Date;
  lastModifiedDate: Date;
}

export interface OtaUpdateService {
  /** Returns at once with CREATE_PENDING; the update then moves on in the background (see `settled`). */
  createOTAUpdate(
    ctx: IotContext,
    input: Omit<OtaUpdate, 'otaUpdateArn' | 'otaUpdateStatus' | 'awsIotJobId' | 'awsIotJobArn' | 'streamId' | 'errorInfo' | 'creationDate' | 'lastModifiedDate' | 'protocols' | 'targetSelection' | 'otaUpdateFiles'> & {
      /** CreateOTAUpdateRequest.files (the record calls them otaUpdateFiles). */
      files: OtaUpdateFile[];
      protocols?: ('MQTT' | 'HTTP')[];
      targetSelection?: 'SNAPSHOT' | 'CONTINUOUS';
      tags?: Tags;
    },
  ): Promise<{ otaUpdateId: string; otaUpdateArn: string; otaUpdateStatus: OtaUpdateStatus; awsIotJobId?: string; awsIotJobArn?: string }>;
  getOTAUpdate(ctx: IotContext, otaUpdateId: string): Promise<OtaUpdate>;
  listOTAUpdates(ctx: IotContext, input: PageRequest & { otaUpdateStatus?: OtaUpdateStatus }): Promise<Paged<OtaUpdate>>;
  deleteOTAUpdate(ctx: IotContext, input: { otaUpdateId: string; deleteStream?: boolean; forceDeleteAWSJob?: boolean }): Promise<void>;
  /** Resolves when the update has left CREATE_PENDING/CREATE_IN_PROGRESS (for tests and the CLI). */
  settled(ctx: IotContext, otaUpdateId: string): Promise<OtaUpdate>;
}

/** Everything `src/iot` offers, as the server wires it. */
export interface IotServices {
  things: ThingService;
  certificates: CertificateService;
  streams: StreamService;
  jobs: JobService;
  jobsData: JobsDataService;
  otaUpdates: OtaUpdateService;
  events: IotEvents;
  /** Times out IN_PROGRESS executions and applies rollout/CONTINUOUS membership; idempotent. */
  tick(now?: Date): Promise<void>;
  close(): Promise<void>;
}
