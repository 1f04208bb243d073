/**
 * `signer things create`: a thing, an ACTIVE certificate with its key attached to it, and the files
 * a device needs to connect, written to one folder. Only through the AWS IoT API of the running
 * server (the same calls `aws iot` makes), never through its internals.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AddThingToThingGroupCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DescribeEndpointCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { UsageError } from '../io.js';

export interface ThingFolder {
  thingName: string;
  thingArn: string;
  certificateId: string;
  certificateArn: string;
  /** `host[:port]` of the TLS (mutual TLS) broker, from DescribeEndpoint iot:Data-ATS. */
  endpoint: string;
  dir: string;
  files: { certificate: string; privateKey: string; publicKey: string; rootCa?: string; device: string };
}

/** The CA file a device must trust for the broker, as the server names it in `<data>/endpoints.json`. */
export function brokerCaFile(dataDir: string): string | undefined {
  const file = join(dataDir, 'endpoints.json');
  if (!existsSync(file)) return undefined;
  const ep = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const mqtt = ep.mqtt as Record<string, unknown> | undefined;
  const ca = (mqtt?.caFile ?? ep.caFile ?? ep.brokerCaFile) as string | undefined;
  return typeof ca === 'string' && existsSync(ca) ? ca : undefined;
}

export async function createThingFolder(
  iot: IoTClient,
  opts: { thingName: string; dir: string; groups?: string[]; attributes?: Record<string, string>; caFile?: string },
): Promise<ThingFolder> {
  if (existsSync(join(opts.dir, 'private.pem.key'))) throw new UsageError(`${opts.dir} already holds a device identity (private.pem.key); choose another folder.`);
  // Asked first: without a broker address the folder would be useless, so nothing is created.
  const { endpointAddress = '' } = await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
  const thing = await iot.send(new CreateThingCommand({ thingName: opts.thingName, attributePayload: opts.attributes ? { attributes: opts.attributes } : undefined }));
  for (const g of opts.groups ?? []) await iot.send(new AddThingToThingGroupCommand({ thingName: opts.thingName, thingGroupName: g }));
  const cert = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  await iot.send(new AttachThingPrincipalCommand({ thingName: opts.thingName, principal: cert.certificateArn! }));

  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const files: ThingFolder['files'] = {
    certificate: join(opts.dir, 'certificate.pem.crt'),
    privateKey: join(opts.dir, 'private.pem.key'),
    publicKey: join(opts.dir, 'public.pem.key'),
    device: join(opts.dir, 'device.json'),
  };
  writeFileSync(files.privateKey, cert.keyPair!.PrivateKey!, { mode: 0o600 });
  chmodSync(files.privateKey, 0o600);
  writeFileSync(files.certificate, cert.certificatePem!);
  writeFileSync(files.publicKey, cert.keyPair!.PublicKey!);
  if (opts.caFile) {
    files.rootCa = join(opts.dir, 'root-ca.pem');
    copyFileSync(opts.caFile, files.rootCa);
  }
  const result: ThingFolder = {
    thingName: thing.thingName!,
    thingArn: thing.thingArn!,
    certificateId: cert.certificateId!,
    certificateArn: cert.certificateArn!,
    endpoint: endpointAddress,
    dir: opts.dir,
    files,
  };
  // What a device (or `signer simulate device --identity DIR`) reads to connect; no key material in it.
  writeFileSync(
    files.device,
    JSON.stringify(
      {
        thingName: result.thingName,
        clientId: result.thingName,
        endpoint: result.endpoint,
        certificateId: result.certificateId,
        certificateArn: result.certificateArn,
        certificate: 'certificate.pem.crt',
        privateKey: 'private.pem.key',
        rootCa: files.rootCa ? 'root-ca.pem' : undefined,
      },
      null,
      2,
    ) + '\n',
  );
  return result;
}
