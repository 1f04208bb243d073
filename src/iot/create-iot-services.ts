import type { LocalCa } from '../keys/index.js';
import type { ObjectStore } from '../objects/index.js';
import type { SqliteDatabase } from '../store/sqlite.js';
import { SqliteCertificateService } from './certificates-service.js';
import { IotEventBus } from './events.js';
import { IotDb } from './iot-store.js';
import type { IotServices } from './iot.types.js';
import { JobExecutions } from './job-executions.js';
import { SqliteJobsDataService } from './jobs-data-service.js';
import { SqliteJobService } from './jobs-service.js';
import { SqliteOtaUpdateService, type OtaSigning } from './ota-updates-service.js';
import { SqliteStreamService } from './streams-service.js';
import { SqliteThingService } from './things-service.js';

export interface IotServicesDeps {
  /** The server's SQLite handle; the `iot` migrations are applied to it. */
  db: SqliteDatabase;
  objects: ObjectStore;
  signing: OtaSigning;
  /** Signs CreateKeysAndCertificate certificates. */
  deviceCa: LocalCa;
  region: string;
  now?: () => Date;
  onError?: (e: unknown) => void;
  /** Poll interval for signing jobs started by CreateOTAUpdate (ms). */
  signingPollMs?: number;
}

/** The concrete services plus what the broker needs beyond the interfaces. */
export interface IotRuntime extends IotServices {
  certificates: SqliteCertificateService;
  otaUpdates: SqliteOtaUpdateService;
}

/** Builds the IoT domain on the server's SQLite database and resumes OTA updates a restart interrupted. */
export function createIotServices(deps: IotServicesDeps): IotRuntime {
  const now = deps.now ?? (() => new Date());
  const d = new IotDb(deps.db);
  const bus = new IotEventBus(deps.onError);
  const things = new SqliteThingService(d);
  const certificates = new SqliteCertificateService(d, things, deps.deviceCa);
  const streams = new SqliteStreamService(d, deps.objects);
  const executions = new JobExecutions(d, bus, now);
  const jobs = new SqliteJobService(d, executions, things, bus, now, deps.region);
  const jobsData = new SqliteJobsDataService(executions, jobs, now);
  const otaUpdates = new SqliteOtaUpdateService(d, {
    streams,
    jobs,
    signing: deps.signing,
    now,
    ...(deps.signingPollMs !== undefined ? { pollMs: deps.signingPollMs } : {}),
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
  otaUpdates.recover(deps.region);
  return {
    things,
    certificates,
    streams,
    jobs,
    jobsData,
    otaUpdates,
    events: bus,
    tick: (at) => jobs.tick(at),
    close: () => otaUpdates.close(),
  };
}
