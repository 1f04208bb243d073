/**
 * `signer simulate device --thing T`: a simulated FreeRTOS device (simulator/agent) on the running
 * server's broker over mutual TLS. Its identity comes from files (--cert/--key/--ca) or is made through
 * the server's AWS IoT API (CreateThing, CreateKeysAndCertificate, AttachThingPrincipal), the calls a
 * provisioning script makes; the private key then lives in this process only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AttachThingPrincipalCommand, CreateKeysAndCertificateCommand, CreateThingCommand, ResourceAlreadyExistsException, type IoTClient } from '@aws-sdk/client-iot';
import { buildImage, realScheduler, SimulatedDevice, SimulatedFlash, type AgentEvent, type AppVersion } from '../../../simulator/agent/index.js';
import { clientContext } from '../client-context.js';
import type { DataDirOptions } from '../commands/common.js';
import { brokerCaFile } from '../iot/things.js';
import { CliFailure, UsageError, type CliIo } from '../io.js';

export interface SimulateDeviceOptions extends DataDirOptions {
  thing: string;
  cert?: string;
  key?: string;
  ca?: string;
  /** `[certfile=]pem`: the code-signing certificate the device trusts (for the job's `certfile`, or any). */
  signerCert?: string[];
  endpoint?: string;
  factoryVersion: string;
  blocksPerRequest: number;
  failSelfTest?: boolean;
  once?: boolean;
  credentials: string;
  json?: boolean;
}

function parseVersion(v: string): AppVersion {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,5})$/.exec(v);
  if (!m || Number(m[1]) > 255 || Number(m[2]) > 255 || Number(m[3]) > 65535) throw new UsageError(`--factory-version ${v}: expected MAJOR.MINOR.BUILD (255.255.65535 at most)`);
  return { major: Number(m[1]), minor: Number(m[2]), build: Number(m[3]) };
}

const fmt = (v: AppVersion) => `v${v.major}.${v.minor}.${v.build}`;

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`${what} ${path}: cannot read the file`);
  }
}

/** The TLS broker a device connects to, as the server wrote it in `<data>/endpoints.json`. */
function brokerUrl(dataDir: string, override: string | undefined): string {
  if (override) return /^mqtts?:\/\//.test(override) ? override : `mqtts://${override}`;
  const file = join(dataDir, 'endpoints.json');
  if (!existsSync(file)) throw new CliFailure(`${file} is missing: start the server ('npm start') or pass --endpoint HOST:PORT.`);
  const mqtt = (JSON.parse(readFileSync(file, 'utf8')) as { mqtt?: { tls?: string; external?: string } }).mqtt;
  const url = mqtt?.tls ?? mqtt?.external;
  if (!url) throw new CliFailure(`${file} names no MQTT broker; pass --endpoint HOST:PORT.`);
  return url;
}

/** A thing (made if missing) with a new ACTIVE certificate attached, through the IoT API. */
async function provision(iot: IoTClient, thingName: string): Promise<{ cert: string; key: string; certificateId: string }> {
  try {
    await iot.send(new CreateThingCommand({ thingName }));
  } catch (e) {
    if (!(e instanceof ResourceAlreadyExistsException)) throw e;
  }
  const c = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  await iot.send(new AttachThingPrincipalCommand({ thingName, principal: c.certificateArn! }));
  return { cert: c.certificatePem!, key: c.keyPair!.PrivateKey!, certificateId: c.certificateId! };
}

/** One line per event: the agent's own words (states, `receive n/m`, status payloads). */
function describe(e: AgentEvent): string | undefined {
  switch (e.kind) {
    case 'state':
      return `state ${e.state}`;
    case 'status':
      return `status ${e.jobId} ${e.payload}`;
    case 'progress':
      return `receive ${e.jobId} ${e.received}/${e.total}`;
    case 'reset':
      return `reset (${e.reason})`;
    case 'accepted':
      return `accepted ${e.jobId} ${fmt(e.version)}`;
    case 'ignored':
      return `ignored: ${e.why}`;
  }
}

export async function runSimulateDevice(io: CliIo, dataDir: string, o: SimulateDeviceOptions, untilStopped?: Promise<void>): Promise<number> {
  if ((o.cert === undefined) !== (o.key === undefined)) throw new UsageError('--cert and --key go together (or leave both out to make an identity through the IoT API).');
  if (!o.signerCert?.length) throw new UsageError('--signer-cert is required: the code-signing certificate the device verifies images with ([certfile=]PEM file).');
  const codeSigningCertificates: Record<string, string> = {};
  for (const s of o.signerCert) {
    const eq = s.indexOf('=');
    const [certfile, path] = eq > 0 ? [s.slice(0, eq), s.slice(eq + 1)] : ['*', s];
    codeSigningCertificates[certfile] = readText(path, '--signer-cert');
  }
  const factory = parseVersion(o.factoryVersion);
  const url = brokerUrl(dataDir, o.endpoint);
  const caPath = o.ca ?? brokerCaFile(dataDir);
  if (!caPath) throw new CliFailure(`no broker CA in ${join(dataDir, 'endpoints.json')}; pass --ca FILE.`);
  const ca = readText(caPath, '--ca');

  let identity: { cert: string; key: string; certificateId?: string };
  if (o.cert !== undefined && o.key !== undefined) identity = { cert: readText(o.cert, '--cert'), key: readText(o.key, '--key') };
  else identity = await provision(clientContext(dataDir, o.credentials).iot, o.thing);

  const say = (line: string, json: Record<string, unknown>) => io.stdout(o.json ? `${JSON.stringify(json)}\n` : `${line}\n`);
  let lastTenth = -1;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((r) => (finish = r));
  const flash = new SimulatedFlash({ image: buildImage(factory, new Uint8Array(0)), version: factory });
  const onEvent = (e: AgentEvent, boot: number) => {
    // Plain output: progress every tenth of the file; --json: every event.
    if (e.kind === 'progress' && !o.json) {
      const tenth = Math.floor((e.received * 10) / e.total);
      if (tenth === lastTenth && e.received !== e.total) return;
      lastTenth = tenth;
    }
    if (e.kind === 'state' && e.state === 'CreatingFile') lastTenth = -1;
    say(describe(e) ?? e.kind, { event: e.kind, boot, ...e, ...(e.kind === 'accepted' ? { version: fmt(e.version) } : {}) });
    if (!o.once) return;
    if (e.kind === 'accepted') finish(0);
    if (e.kind === 'status' && /"status":"(FAILED|REJECTED)"/.test(e.payload)) finish(1);
  };
  let device: SimulatedDevice;
  try {
    device = await SimulatedDevice.connect({
      url,
      tls: { ca, cert: identity.cert, key: identity.key },
      thingName: o.thing,
      flash,
      scheduler: realScheduler(),
      codeSigningCertificates,
      blocksPerRequest: o.blocksPerRequest,
      ...(o.failSelfTest ? { selfTest: () => false } : {}),
      onEvent,
    });
  } catch (e) {
    // No key material in the message: only what refused and where.
    throw new CliFailure(`cannot connect to ${url} as ${o.thing}: ${(e as Error).message} (is the certificate ACTIVE and attached to the thing?)`);
  }
  say(`device ${o.thing} connected to ${url}${identity.certificateId ? ` (certificate ${identity.certificateId})` : ''}, running ${fmt(factory)}`, {
    event: 'connected',
    thingName: o.thing,
    url,
    ...(identity.certificateId ? { certificateId: identity.certificateId } : {}),
    version: fmt(factory),
  });
  const stop = untilStopped ?? new Promise<void>((resolve) => (process.once('SIGINT', () => resolve()), process.once('SIGTERM', () => resolve())));
  const code = await Promise.race([finished, stop.then(() => -1)]);
  if (code === -1) {
    await device.close();
    return 0;
  }
  // The last status (SUCCEEDED or FAILED, QoS 1) is in flight: a graceful end waits for the broker's ack.
  device.agent.stop();
  await device.client.endAsync(false);
  if (o.once && code === 0) say(`running ${fmt(flash.version)}`, { event: 'done', version: fmt(flash.version) });
  return code;
}
