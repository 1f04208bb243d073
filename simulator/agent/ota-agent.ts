/**
 * A FreeRTOS-compatible OTA agent (the v3 agent of aws/ota-for-aws-iot-embedded-sdk, default
 * configuration): the same states, the same MQTT messages byte for byte, the same decisions.
 *
 * - asks `$next/get` once per (re)start, listens on `notify-next` only;
 * - downloads over `streams/<s>/get|data/cbor` with a whole-file bitmap, `n` blocks per request,
 *   re-requests after 10 s without a block and gives up after 32 requests without progress
 *   (`aborted: 0x00000008`);
 * - fails the job on the first bad block (`0x000000e0: 0x00000000`), ignores duplicates;
 * - verifies the file with firmware-verifier (`freertos` format, PAL mode: the public key of the
 *   certificate named by `certfile`): `0x000000e3` on a bad signature, `0x000000e7` without a
 *   usable certificate; then `self_test: ready` and a test boot of the new image;
 * - on the test boot: the version check (`rejected: 0x00000010` same, `0x0000000f` older),
 *   `self_test: active`, the application's self-test, then `accepted  vX.Y.Z` or a rollback.
 *
 * Made to run by the thousand in one process: no timers of its own (one shared Scheduler), no
 * buffers beyond the file being received and its bitmap.
 */
import { createTrustStore, verify } from '../../firmware-verifier/index.js';
import {
  bitIsSet,
  bitmapFor,
  clearBit,
  decodeDataBlock,
  encodeGetRequest,
  JobParseErr,
  jobsTopic,
  OtaErr,
  parseJobMessage,
  streamTopic,
  type ParsedJobMessage,
} from '../ota-wire/index.js';
import { fromVersion32, imageVersion, version32, type AppVersion } from './firmware-image.js';
import type { SimulatedFlash } from './flash.js';
import type { Scheduler } from './scheduler.js';
import { AgentErr, PalErr, status, type StatusUpdate } from './status.js';

export type AgentState = 'Ready' | 'RequestingJob' | 'WaitingForJob' | 'CreatingFile' | 'RequestingFileBlock' | 'WaitingForFileBlock' | 'ClosingFile' | 'Suspended' | 'Stopped';

/** What the agent needs from its MQTT client (fire and forget, as the C agent's MQTT interface). */
export interface AgentConnection {
  subscribe(topic: string, qos: 0 | 1): void;
  unsubscribe(topic: string): void;
  publish(topic: string, payload: Uint8Array | string, qos: 0 | 1): void;
}

export type AgentEvent =
  | { kind: 'state'; state: AgentState }
  | { kind: 'status'; jobId: string; payload: string }
  | { kind: 'progress'; jobId: string; received: number; total: number }
  | { kind: 'reset'; reason: string }
  | { kind: 'accepted'; jobId: string; version: AppVersion }
  | { kind: 'ignored'; why: string };

export interface AgentOptions {
  thingName: string;
  connection: AgentConnection;
  flash: SimulatedFlash;
  scheduler: Scheduler;
  /** What the boot loader started: the running version and whether it is a test boot. */
  boot: { version: AppVersion; selfTest: boolean };
  /** certfile → PEM/DER certificate provisioned on the device; `*` is the compiled-in default. */
  codeSigningCertificates: Record<string, string | Uint8Array>;
  /** The PAL's job-document key (`OTA_JsonFileSignatureKey`). */
  signatureKey?: 'sig-sha256-ecdsa' | 'sig-sha256-rsa';
  /** The application's self-test on a test boot (default: passes). */
  selfTest?: (version: AppVersion) => boolean | Promise<boolean>;
  /** PAL reset: the device reboots (the caller boots a new agent on the same flash). */
  onReset: (reason: string) => void;
  onEvent?: (e: AgentEvent) => void;
  blockSize?: number;
  /** otaconfigMAX_NUM_BLOCKS_REQUEST. */
  blocksPerRequest?: number;
  /** otaconfigFILE_REQUEST_WAIT_MS. */
  requestWaitMs?: number;
  /** otaconfigMAX_NUM_REQUEST_MOMENTUM. */
  maxMomentum?: number;
  /** otaconfigSELF_TEST_RESPONSE_WAIT_MS. */
  selfTestWaitMs?: number;
  /** otaconfigOTA_UPDATE_STATUS_FREQUENCY. */
  statusFrequency?: number;
  /** otaconfigMAX_BLOCK_BITMAP_SIZE × 8. */
  maxBlocks?: number;
  allowDowngrade?: boolean;
}

interface ActiveJob {
  jobId: string;
  streamname: string;
  fileid: number;
  filesize: number;
  fileType: number;
  certfile?: string;
  signature?: Uint8Array;
  blocks: number;
  bitmap: Uint8Array;
  received: number;
}

const decoder = new TextDecoder();

export class OtaAgent {
  state: AgentState = 'Ready';
  private job: ActiveJob | undefined;
  /** Set after the last block was stored, until the next job: a late block then fails like FreeRTOS's UnexpectedBlock. */
  private closedJob = false;
  private momentum = 0;
  private sinceRequest = 0;
  private cancelRequestTimer: (() => void) | undefined;
  private cancelSelfTestTimer: (() => void) | undefined;
  private readonly o: Required<Omit<AgentOptions, 'onEvent' | 'selfTest'>> & Pick<AgentOptions, 'onEvent' | 'selfTest'>;

  constructor(options: AgentOptions) {
    this.o = {
      signatureKey: 'sig-sha256-ecdsa',
      blockSize: 4096,
      blocksPerRequest: 1,
      requestWaitMs: 10_000,
      maxMomentum: 32,
      selfTestWaitMs: 16_000,
      statusFrequency: 64,
      maxBlocks: 1024,
      allowDowngrade: false,
      ...options,
    };
  }

  private get topics() {
    const t = this.o.thingName;
    return { notifyNext: jobsTopic.notifyNext(t), nextGet: jobsTopic.describe(t, '$next'), nextAccepted: `${jobsTopic.describe(t, '$next')}/accepted` };
  }
  private emit(e: AgentEvent): void {
    this.o.onEvent?.(e);
  }
  private setState(s: AgentState): void {
    this.state = s;
    this.emit({ kind: 'state', state: s });
  }
  private running32(): number {
    return version32(this.o.boot.version);
  }
  private report(jobId: string, u: StatusUpdate): void {
    this.o.connection.publish(jobsTopic.update(this.o.thingName, jobId), u.payload, u.qos);
    this.emit({ kind: 'status', jobId, payload: u.payload });
  }
  private reset(reason: string): void {
    this.stop();
    this.emit({ kind: 'reset', reason });
    this.o.onReset(reason);
  }

  /** Agent start after boot: the self-test timer on a test boot, then the job request. */
  start(): void {
    if (this.o.boot.selfTest) this.cancelSelfTestTimer = this.o.scheduler.after(this.o.selfTestWaitMs, () => this.reset('self-test timer expired'));
    this.requestJob();
  }

  /** OTA_Resume after a reconnect: ask for the job again; the same job continues from the bitmap. */
  resume(): void {
    if (this.state === 'Stopped') return;
    this.cancelRequestTimer?.();
    this.requestJob();
  }
  suspend(): void {
    this.cancelRequestTimer?.();
    this.setState('Suspended');
  }

  stop(): void {
    this.cancelRequestTimer?.();
    this.cancelSelfTestTimer?.();
    this.setState('Stopped');
  }

  private requestJob(): void {
    this.setState('RequestingJob');
    this.o.connection.subscribe(this.topics.notifyNext, 1);
    // The main-branch agent's token: the counter digit is lost, the thing name cut to 53 characters.
    this.o.connection.publish(this.topics.nextGet, `{"clientToken":":${this.o.thingName.slice(0, 53)}"}`, 1);
    this.setState('WaitingForJob');
  }

  /** Every message the device's MQTT client receives. Never throws. */
  onMessage(topic: string, payload: Uint8Array): void {
    if (this.state === 'Stopped') return;
    try {
      if (topic === this.topics.notifyNext || topic === this.topics.nextAccepted) void this.onJobDocument(decoder.decode(payload));
      else if (this.job && topic === streamTopic.data(this.o.thingName, this.job.streamname, 'cbor')) this.onBlock(payload);
      else if (this.closedJob && topic.endsWith('/data/cbor')) this.onBlock(payload);
    } catch (e) {
      this.emit({ kind: 'ignored', why: String(e) });
    }
  }

  private cleanupDownload(): void {
    this.cancelRequestTimer?.();
    if (this.job) this.o.connection.unsubscribe(streamTopic.data(this.o.thingName, this.job.streamname, 'cbor'));
    this.job = undefined;
  }

  private async onJobDocument(text: string): Promise<void> {
    const p: ParsedJobMessage = parseJobMessage(text, { signatureKey: this.o.signatureKey, blockSize: this.o.blockSize, maxBlocks: this.o.maxBlocks });
    switch (p.kind) {
      case 'invalid-json':
        this.emit({ kind: 'ignored', why: 'job message is not JSON' });
        return;
      case 'empty':
        // Job canceled or removed: an in-flight download stops; a test boot waits for its timer.
        if (this.job) {
          this.cleanupDownload();
          this.o.flash.abortFile();
          this.setState('WaitingForJob');
        }
        return;
      case 'malformed':
        if (p.jobId !== undefined) this.report(p.jobId, status.failedWithVal(OtaErr.JobParserError, JobParseErr.NonConformingJobDoc));
        return;
      case 'rejected':
        // Reported only when a job is already active (FreeRTOS handleJobParsingError).
        if (this.job && p.jobId !== undefined) this.report(p.jobId, status.failedWithVal(p.err, p.sub));
        else this.emit({ kind: 'ignored', why: p.why });
        return;
      case 'job':
        break;
    }
    this.closedJob = false;
    if (this.job) {
      if (this.job.jobId === p.jobId) {
        // OtaJobParseErrUpdateCurrentJob: same job, keep the bitmap and go on.
        this.o.connection.subscribe(streamTopic.data(this.o.thingName, this.job.streamname, 'cbor'), 0);
        this.momentum = 0;
        this.requestBlocks();
        return;
      }
      // A different job while downloading: the current one is abandoned.
      this.cleanupDownload();
      this.o.flash.abortFile();
    }
    if (p.selfTest) return this.onSelfTestJob(p);
    if (this.o.boot.selfTest) {
      // Test boot but a normal job: the platform resets and the boot loader rolls back.
      this.reset('test boot received a job that is not in self-test');
      return;
    }
    this.startDownload(p);
  }

  private async onSelfTestJob(p: Extract<ParsedJobMessage, { kind: 'job' }>): Promise<void> {
    const running = this.running32();
    if (p.fileid === 0 && p.fileType === 0 && !this.o.allowDowngrade) {
      const updatedBy = p.updatedBy ?? 0;
      const err = updatedBy === running ? AgentErr.SameFirmwareVersion : updatedBy > running ? AgentErr.DowngradeNotAllowed : undefined;
      if (err !== undefined) {
        this.cancelSelfTestTimer?.();
        this.report(p.jobId, status.rejected(err));
        this.o.flash.reject();
        this.reset(`version check failed (0x${err.toString(16)})`);
        return;
      }
    }
    if (!this.o.boot.selfTest) {
      this.cancelSelfTestTimer?.();
      this.report(p.jobId, status.rejected(AgentErr.ImageStateMismatch));
      this.reset('job in self-test but the platform is not');
      return;
    }
    this.cancelSelfTestTimer?.();
    this.report(p.jobId, status.selfTestActive(running));
    const ok = await (this.o.selfTest ?? (() => true))(this.o.boot.version);
    if (this.state === 'Stopped') return;
    if (ok) {
      this.o.flash.commit();
      this.report(p.jobId, status.accepted(this.o.boot.version, fromVersion32(p.updatedBy ?? 0)));
      this.emit({ kind: 'accepted', jobId: p.jobId, version: this.o.boot.version });
      this.setState('WaitingForJob');
    } else {
      this.report(p.jobId, status.rejected(AgentErr.None));
      this.o.flash.reject();
      this.reset('self-test failed');
    }
  }

  private startDownload(p: Extract<ParsedJobMessage, { kind: 'job' }>): void {
    if (!p.protocols.includes('"MQTT"') || !p.streamname) {
      this.report(p.jobId, status.aborted(OtaErr.InvalidDataProtocol));
      return;
    }
    this.setState('CreatingFile');
    const blocks = Math.ceil(p.filesize / this.o.blockSize);
    this.job = {
      jobId: p.jobId,
      streamname: p.streamname,
      fileid: p.fileid,
      filesize: p.filesize,
      fileType: p.fileType,
      ...(p.certfile !== undefined ? { certfile: p.certfile } : {}),
      ...(p.signature ? { signature: p.signature } : {}),
      blocks,
      bitmap: bitmapFor(blocks),
      received: 0,
    };
    this.o.flash.createFile(p.filesize);
    this.o.connection.subscribe(streamTopic.data(this.o.thingName, p.streamname, 'cbor'), 0);
    this.momentum = 0;
    this.requestBlocks();
  }

  private requestBlocks(): void {
    const job = this.job;
    if (!job) return;
    this.setState('RequestingFileBlock');
    this.cancelRequestTimer?.();
    this.momentum++;
    if (this.momentum > this.o.maxMomentum) {
      this.report(job.jobId, status.aborted(AgentErr.RequestFileBlockFailed));
      this.cleanupDownload();
      this.o.flash.abortFile();
      this.setState('WaitingForJob');
      return;
    }
    this.sinceRequest = 0;
    this.o.connection.publish(
      streamTopic.get(this.o.thingName, job.streamname, 'cbor'),
      encodeGetRequest({ clientToken: 'rdy', fileId: job.fileid, blockSize: this.o.blockSize, offset: 0, bitmap: job.bitmap, numberOfBlocks: this.o.blocksPerRequest }, 'cbor'),
      0,
    );
    this.setState('WaitingForFileBlock');
    this.cancelRequestTimer = this.o.scheduler.after(this.o.requestWaitMs, () => this.requestBlocks());
  }

  private ingestFailed(jobId: string): void {
    this.report(jobId, status.failedWithVal(PalErr.Uninitialized, 0));
    this.cleanupDownload();
    this.o.flash.abortFile();
    this.setState('WaitingForJob');
  }

  private onBlock(payload: Uint8Array): void {
    const job = this.job;
    if (!job) {
      // A block after the last one: FreeRTOS fails with an empty job name (topic `jobs//update`).
      this.closedJob = false;
      this.report('', status.failedWithVal(PalErr.Uninitialized, 0));
      this.o.flash.reject();
      return;
    }
    if (this.state !== 'WaitingForFileBlock') return;
    const b = decodeDataBlock(payload, 'cbor');
    if (!b || b.blockId >= job.blocks) return this.ingestFailed(job.jobId);
    const last = b.blockId === job.blocks - 1;
    const want = last ? job.filesize - b.blockId * this.o.blockSize : this.o.blockSize;
    if (b.payload.length !== want) return this.ingestFailed(job.jobId);
    if (!bitIsSet(job.bitmap, b.blockId)) return; // duplicate
    if (!this.o.flash.writeBlock(b.blockId * this.o.blockSize, b.payload)) return this.ingestFailed(job.jobId);
    clearBit(job.bitmap, b.blockId);
    job.received++;
    this.momentum = 0;
    if (job.received === 1 || job.received % this.o.statusFrequency === 0) this.report(job.jobId, status.receive(job.received, job.blocks));
    this.emit({ kind: 'progress', jobId: job.jobId, received: job.received, total: job.blocks });
    if (job.received === job.blocks) return this.closeFile(job);
    if (++this.sinceRequest >= this.o.blocksPerRequest) this.requestBlocks();
  }

  private closeFile(job: ActiveJob): void {
    this.setState('ClosingFile');
    this.cancelRequestTimer?.();
    this.o.connection.unsubscribe(streamTopic.data(this.o.thingName, job.streamname, 'cbor'));
    this.job = undefined;
    this.closedJob = true;
    const file = this.o.flash.file() as Uint8Array;
    const cert = (job.certfile !== undefined ? this.o.codeSigningCertificates[job.certfile] : undefined) ?? this.o.codeSigningCertificates['*'];
    let trust;
    try {
      trust = cert !== undefined ? createTrustStore({ certificates: [cert] }) : undefined;
    } catch {
      trust = undefined;
    }
    if (!trust) {
      this.report(job.jobId, status.failedWithVal(PalErr.BadSignerCert, 0));
      this.o.flash.abortFile();
      this.setState('WaitingForJob');
      return;
    }
    const result = job.signature ? verify(file, 'freertos', trust, { signature: job.signature, signatureMethod: this.o.signatureKey }) : undefined;
    if (!result?.ok) {
      this.report(job.jobId, status.failedWithVal(PalErr.SignatureCheckFailed, 0));
      this.o.flash.abortFile();
      this.setState('WaitingForJob');
      return;
    }
    if (job.fileType !== 0) {
      // A non-firmware file is done once received and verified (the sub-reason carries the file type).
      this.report(job.jobId, status.accepted({ major: 0, minor: 0, build: job.fileType }, this.o.boot.version));
      this.emit({ kind: 'accepted', jobId: job.jobId, version: this.o.boot.version });
      this.setState('WaitingForJob');
      return;
    }
    this.report(job.jobId, status.selfTestReady(this.running32()));
    this.o.flash.activate(imageVersion(file) ?? this.o.boot.version);
    this.reset('activating the new image');
  }
}
