import { clientContext } from '../client-context.js';
import type { DataDirOptions } from '../commands/common.js';
import { cancelOta, createOta, describeOta, listOtas, otaExecutions } from '../iot/ota.js';
import { UsageError, type CliIo } from '../io.js';
import { printJson } from '../output.js';

export interface OtaOptions extends DataDirOptions {
  credentials: string;
  json?: boolean;
}
export interface OtaCreateCliOptions extends OtaOptions {
  thing?: string[];
  group?: string[];
  file?: string;
  profile?: string;
  signingJob?: string;
  id?: string;
  filePath?: string;
  certificatePath?: string;
  fileType?: number;
  continuous?: boolean;
  bucket?: string;
  wait: number;
}

/** `signer ota create`: upload, CreateOTAUpdate, wait until it settles. */
export async function runOtaCreate(io: CliIo, dataDir: string, o: OtaCreateCliOptions): Promise<number> {
  if (!o.thing?.length && !o.group?.length) throw new UsageError('ota create needs at least one --thing or --group.');
  if (!o.signingJob && !(o.file && o.profile)) throw new UsageError('ota create needs --file and --profile (sign now), or --signing-job (already signed).');
  const ctx = clientContext(dataDir, o.credentials);
  const info = await createOta(ctx.iot, ctx.s3, {
    things: o.thing ?? [],
    groups: o.group ?? [],
    file: o.file ?? '',
    ...(o.profile !== undefined ? { profile: o.profile } : {}),
    ...(o.signingJob !== undefined ? { signingJobId: o.signingJob } : {}),
    ...(o.id !== undefined ? { otaUpdateId: o.id } : {}),
    ...(o.filePath !== undefined ? { filePath: o.filePath } : {}),
    ...(o.certificatePath !== undefined ? { certificatePathOnDevice: o.certificatePath } : {}),
    ...(o.fileType !== undefined ? { fileType: o.fileType } : {}),
    continuous: o.continuous === true,
    bucket: o.bucket ?? `signer-cli-${ctx.accessKeyId.toLowerCase()}`,
    waitSeconds: o.wait,
  });
  if (o.json) printJson(io, info);
  else io.stdout(`${info.otaUpdateId} ${info.otaUpdateStatus}${info.awsIotJobId ? ` job ${info.awsIotJobId}` : ''}${info.errorInfo?.message ? `: ${info.errorInfo.message}` : ''}\n`);
  return info.otaUpdateStatus === 'CREATE_FAILED' ? 1 : 0;
}

export async function runOtaOne(io: CliIo, dataDir: string, what: 'describe' | 'cancel' | 'executions', id: string, o: OtaOptions & { force?: boolean }): Promise<number> {
  const ctx = clientContext(dataDir, o.credentials);
  if (what === 'describe') {
    const info = await describeOta(ctx.iot, id);
    if (o.json) printJson(io, info);
    else
      io.stdout(
        `${info.otaUpdateId} ${info.otaUpdateStatus}\n  targets ${(info.targets ?? []).join(', ')}\n` +
          (info.awsIotJobId ? `  job ${info.awsIotJobId}\n` : '') +
          (info.errorInfo?.message ? `  error ${info.errorInfo.code ?? ''} ${info.errorInfo.message}\n` : ''),
      );
    return 0;
  }
  if (what === 'cancel') {
    const r = await cancelOta(ctx.iot, id, o.force === true);
    if (o.json) printJson(io, r);
    else io.stdout(`canceled job ${r.jobId}${o.force ? ' (force: executions in progress canceled too)' : ''}\n`);
    return 0;
  }
  const r = await otaExecutions(ctx.iot, id);
  if (o.json) printJson(io, r);
  else for (const e of r.executions) io.stdout(`${e.thingName}\t${e.status}\t${Object.entries(e.statusDetails ?? {}).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
  return 0;
}

export async function runOtaList(io: CliIo, dataDir: string, o: OtaOptions): Promise<number> {
  const all = await listOtas(clientContext(dataDir, o.credentials).iot);
  if (o.json) printJson(io, all);
  else for (const u of all) io.stdout(`${u.otaUpdateId}\t${u.creationDate?.toISOString() ?? ''}\n`);
  return 0;
}
