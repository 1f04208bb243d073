/** `signer things …` and `signer ota …`: argument parsing and output for src/cli/iot/. */
import { parseArgs } from 'node:util';
import { clientContext } from '../client-context.js';
import { brokerCaFile, createThingFolder } from '../iot/things.js';
import { cancelOta, createOta, describeOta, listOtas, otaExecutions } from '../iot/ota.js';

const THINGS_USAGE = 'usage: signer things create NAME [--out DIR] [--group G]... [--attribute k=v]... [--credentials PROFILE]';
const OTA_USAGE = `usage:
  signer ota create (--thing T | --group G)... --file FW (--profile P | --signing-job ID) [--id ID] [--file-path PATH]
                    [--certificate-path PATH] [--file-type N] [--continuous] [--bucket B] [--wait SECONDS] [--json]
  signer ota describe ID [--json]
  signer ota list [--json]
  signer ota cancel ID [--force]
  signer ota executions ID [--json]`;

const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (x instanceof Date ? x.toISOString() : x), 2) + '\n';

export async function runThings(argv: string[], dataDir: string, out: (s: string) => void): Promise<number> {
  const [sub, ...args] = argv;
  if (sub !== 'create') throw new Error(THINGS_USAGE);
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: 'string' }, group: { type: 'string', multiple: true }, attribute: { type: 'string', multiple: true }, credentials: { type: 'string' }, json: { type: 'boolean' } },
  });
  const thingName = positionals[0];
  if (!thingName) throw new Error(THINGS_USAGE);
  const attributes: Record<string, string> = {};
  for (const a of values.attribute ?? []) {
    const eq = a.indexOf('=');
    if (eq < 1) throw new Error(`--attribute ${a}: expected key=value`);
    attributes[a.slice(0, eq)] = a.slice(eq + 1);
  }
  const ctx = clientContext(dataDir, values.credentials);
  const r = await createThingFolder(ctx.iot, {
    thingName,
    dir: values.out ?? thingName,
    groups: values.group,
    attributes: values.attribute ? attributes : undefined,
    caFile: brokerCaFile(dataDir),
  });
  if (values.json) out(json(r));
  else
    out(
      `thing ${r.thingName} (${r.thingArn})\ncertificate ${r.certificateId} ACTIVE, attached\nbroker ${r.endpoint}\n` +
        `wrote ${Object.values(r.files).filter(Boolean).join(', ')}\n`,
    );
  return 0;
}

export async function runOta(argv: string[], dataDir: string, out: (s: string) => void): Promise<number> {
  const [sub, ...args] = argv;
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      thing: { type: 'string', multiple: true },
      group: { type: 'string', multiple: true },
      file: { type: 'string' },
      profile: { type: 'string' },
      'signing-job': { type: 'string' },
      id: { type: 'string' },
      'file-path': { type: 'string' },
      'certificate-path': { type: 'string' },
      'file-type': { type: 'string' },
      continuous: { type: 'boolean' },
      bucket: { type: 'string' },
      wait: { type: 'string' },
      force: { type: 'boolean' },
      credentials: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const ctx = clientContext(dataDir, values.credentials);
  const id = positionals[0];
  switch (sub) {
    case 'create': {
      if (!values.file && !values['signing-job']) throw new Error(OTA_USAGE);
      const info = await createOta(ctx.iot, ctx.s3, {
        things: values.thing ?? [],
        groups: values.group ?? [],
        file: values.file ?? '',
        profile: values.profile,
        signingJobId: values['signing-job'],
        otaUpdateId: values.id,
        filePath: values['file-path'],
        certificatePathOnDevice: values['certificate-path'],
        fileType: values['file-type'] === undefined ? undefined : Number(values['file-type']),
        continuous: values.continuous,
        bucket: values.bucket ?? `signer-cli-${ctx.accessKeyId.toLowerCase()}`,
        waitSeconds: values.wait === undefined ? 120 : Number(values.wait),
      });
      if (values.json) out(json(info));
      else out(`${info.otaUpdateId} ${info.otaUpdateStatus}${info.awsIotJobId ? ` job ${info.awsIotJobId}` : ''}${info.errorInfo?.message ? `: ${info.errorInfo.message}` : ''}\n`);
      return info.otaUpdateStatus === 'CREATE_FAILED' ? 1 : 0;
    }
    case 'describe': {
      if (!id) throw new Error(OTA_USAGE);
      const info = await describeOta(ctx.iot, id);
      if (values.json) out(json(info));
      else
        out(
          `${info.otaUpdateId} ${info.otaUpdateStatus}\n  targets ${(info.targets ?? []).join(', ')}\n` +
            (info.awsIotJobId ? `  job ${info.awsIotJobId}\n` : '') +
            (info.errorInfo?.message ? `  error ${info.errorInfo.code ?? ''} ${info.errorInfo.message}\n` : ''),
        );
      return 0;
    }
    case 'list': {
      const all = await listOtas(ctx.iot);
      if (values.json) out(json(all));
      else for (const u of all) out(`${u.otaUpdateId}\t${u.creationDate?.toISOString() ?? ''}\n`);
      return 0;
    }
    case 'cancel': {
      if (!id) throw new Error(OTA_USAGE);
      const r = await cancelOta(ctx.iot, id, values.force === true);
      out(`canceled job ${r.jobId}${values.force ? ' (force: executions in progress canceled too)' : ''}\n`);
      return 0;
    }
    case 'executions': {
      if (!id) throw new Error(OTA_USAGE);
      const r = await otaExecutions(ctx.iot, id);
      if (values.json) out(json(r));
      else for (const e of r.executions) out(`${e.thingName}\t${e.status}\t${Object.entries(e.statusDetails ?? {}).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
      return 0;
    }
    default:
      throw new Error(OTA_USAGE);
  }
}
