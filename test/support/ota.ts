/** OTA end-to-end helpers: a FreeRTOS signing profile, firmware in the object store, a simulated device. */
import { createPrivateKey, createSign, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PutSigningProfileCommand } from '@aws-sdk/client-signer';
import { buildImage, SimulatedDevice, SimulatedFlash, type AgentEvent, type AppVersion, type Scheduler } from '../../simulator/agent/index.js';
import { parseCertificateArn } from '../../src/keys/index.js';
import { toPem } from '../../src/keys/certificate-builder.js';
import { certificateArn } from './fixtures.js';
import { provisionDevice, putFirmware } from './mqtt.js';
import type { TestServer } from './server.js';

export const ROLE = 'arn:aws:iam::123456789012:role/ota';
export const FACTORY: AppVersion = { major: 1, minor: 0, build: 0 };

/** A FreeRTOS signing profile over an imported TEST ONLY certificate; returns its name and the certificate PEM. */
export async function freertosProfile(t: TestServer): Promise<{ profileName: string; certificatePem: string }> {
  const arn = await certificateArn(t, t.admin, 'EC_prime256v1');
  const profileName = `ota_${randomUUID().slice(0, 8)}`;
  await t.admin.client.send(new PutSigningProfileCommand({ profileName, platformId: 'AmazonFreeRTOS-Default', signingMaterial: { certificateArn: arn } }));
  const parsed = parseCertificateArn(arn);
  const view = await t.server.certificates.getCertificate(arn, { accountId: t.admin.accountId, region: parsed?.region ?? t.server.config.region });
  return { profileName, certificatePem: toPem(view.record.certificateDer) };
}

/** A simulated firmware image of `size` bytes in total. */
export function firmware(version: AppVersion, size: number): Uint8Array {
  return buildImage(version, randomBytes(size - 16));
}

export async function uploadFirmware(t: TestServer, key: string, bytes: Uint8Array): Promise<{ bucket: string; key: string }> {
  const bucket = 'ota-firmware';
  try {
    await t.server.objects.createBucket(bucket);
    await t.server.objects.putBucketVersioning(bucket, 'Enabled');
  } catch {
    // exists
  }
  await putFirmware(t.server, bucket, key, bytes);
  return { bucket, key };
}

/** Raw ECDSA P-256 / SHA-256 DER signature with a key PEM (for customCodeSigning cases). */
export function signWith(keyPem: string, bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createSign('sha256').update(bytes).sign(createPrivateKey(keyPem)));
}

export interface DeviceRun {
  device: SimulatedDevice;
  flash: SimulatedFlash;
  events: { e: AgentEvent; boot: number }[];
  /** Waits (generous ceiling) until an event matches. */
  until(pred: (e: AgentEvent, boot: number) => boolean, timeoutMs?: number, from?: number): Promise<AgentEvent>;
  statuses(): string[];
}

/** Provisions a thing and connects a simulated device to the embedded broker over mutual TLS. */
export async function startDevice(
  t: TestServer,
  thingName: string,
  opts: { scheduler: Scheduler; certificates: Record<string, string>; selfTest?: () => boolean; url?: string; plain?: boolean; blocksPerRequest?: number; reconnectPeriod?: number },
): Promise<DeviceRun> {
  const flash = new SimulatedFlash({ image: buildImage(FACTORY, new Uint8Array(0)), version: FACTORY });
  const events: { e: AgentEvent; boot: number }[] = [];
  let waiters: { pred: (e: AgentEvent, boot: number) => boolean; resolve: (e: AgentEvent) => void }[] = [];
  const onEvent = (e: AgentEvent, boot: number) => {
    events.push({ e, boot });
    waiters = waiters.filter((w) => (w.pred(e, boot) ? (w.resolve(e), false) : true));
  };
  let tls: { ca: string; cert: string; key: string } | undefined;
  if (!opts.plain) {
    const id = await provisionDevice(t.server, thingName);
    tls = { ca: readFileSync(t.server.mqtt.caFile!, 'utf8'), cert: id.cert, key: id.key };
  } else {
    await t.server.iot.things.createThing(t.server.iotContext, { thingName });
  }
  const device = await SimulatedDevice.connect({
    url: opts.url ?? t.server.mqtt.tlsUrl!,
    ...(tls ? { tls } : {}),
    thingName,
    flash,
    scheduler: opts.scheduler,
    codeSigningCertificates: opts.certificates,
    ...(opts.selfTest ? { selfTest: opts.selfTest } : {}),
    ...(opts.blocksPerRequest ? { blocksPerRequest: opts.blocksPerRequest } : {}),
    ...(opts.reconnectPeriod !== undefined ? { reconnectPeriod: opts.reconnectPeriod } : {}),
    onEvent,
  });
  return {
    device,
    flash,
    events,
    until(pred, timeoutMs = 60_000, from = 0) {
      const found = events.slice(from).find((x) => pred(x.e, x.boot));
      if (found) return Promise.resolve(found.e);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`device ${thingName}: expected event did not come; saw ${JSON.stringify(events.slice(-8))}`)), timeoutMs);
        waiters.push({ pred, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
    statuses: () => events.filter((x) => x.e.kind === 'status').map((x) => (x.e as { payload: string }).payload),
  };
}
