import { clientContext } from '../client-context.js';
import type { DataDirOptions } from '../commands/common.js';
import { brokerCaFile, createThingFolder } from '../iot/things.js';
import { UsageError, type CliIo } from '../io.js';
import { printJson } from '../output.js';

export interface ThingsCreateOptions extends DataDirOptions {
  out?: string;
  group?: string[];
  attribute?: string[];
  credentials: string;
  json?: boolean;
}

/** `signer things create NAME`: the thing, its ACTIVE certificate and key, in a folder. */
export async function runThingsCreate(io: CliIo, dataDir: string, thingName: string, opts: ThingsCreateOptions): Promise<number> {
  const attributes: Record<string, string> = {};
  for (const a of opts.attribute ?? []) {
    const eq = a.indexOf('=');
    if (eq < 1) throw new UsageError(`--attribute ${a}: expected key=value`);
    attributes[a.slice(0, eq)] = a.slice(eq + 1);
  }
  const ctx = clientContext(dataDir, opts.credentials);
  const r = await createThingFolder(ctx.iot, {
    thingName,
    dir: opts.out ?? thingName,
    ...(opts.group ? { groups: opts.group } : {}),
    ...(opts.attribute ? { attributes } : {}),
    caFile: brokerCaFile(dataDir),
  });
  if (opts.json) printJson(io, r);
  else
    io.stdout(
      `thing ${r.thingName} (${r.thingArn})\ncertificate ${r.certificateId} ACTIVE, attached\nbroker ${r.endpoint}\n` +
        `wrote ${Object.values(r.files).filter(Boolean).join(', ')}\n`,
    );
  return 0;
}
