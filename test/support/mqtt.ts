/** MQTT helpers for tests: a device client over mutual TLS and a message recorder that waits for events. */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { connect, connectAsync, type MqttClient } from 'mqtt';
import type { RunningServer } from '../../src/server/index.js';

export interface Recorded {
  topic: string;
  payload: Buffer;
}

/** Records every message a client receives; `next` waits (generous ceiling) for one that matches. */
export class Recorder {
  readonly messages: Recorded[] = [];
  private waiters: { pred: (m: Recorded) => boolean; resolve: (m: Recorded) => void }[] = [];
  constructor(client: MqttClient) {
    client.on('message', (topic, payload) => {
      const m = { topic, payload };
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
  }
  /** The first message (already received or coming) that matches, searching from index `from`. */
  next(pred: (m: Recorded) => boolean, opts: { from?: number; timeoutMs?: number } = {}): Promise<Recorded> {
    const found = this.messages.slice(opts.from ?? 0).find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching MQTT message arrived')), opts.timeoutMs ?? 30_000);
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }
  /** Waits until `n` received messages match. */
  async all(pred: (m: Recorded) => boolean, n: number, timeoutMs = 30_000): Promise<Recorded[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.messages.filter(pred);
      if (got.length >= n) return got;
      if (Date.now() > deadline) throw new Error(`only ${got.length} of ${n} MQTT messages arrived`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  json(m: Recorded): Record<string, unknown> {
    return JSON.parse(m.payload.toString('utf8')) as Record<string, unknown>;
  }
}

/** A thing with an ACTIVE certificate from CreateKeysAndCertificate, attached. */
export async function provisionDevice(server: RunningServer, thingName: string): Promise<{ cert: string; key: string; certificateId: string; certificateArn: string }> {
  const ctx = server.iotContext;
  await server.iot.things.createThing(ctx, { thingName });
  const { certificate, keyPair } = await server.iot.certificates.createKeysAndCertificate(ctx, { setAsActive: true });
  await server.iot.certificates.attachThingPrincipal(ctx, { thingName, principal: certificate.certificateArn });
  return { cert: certificate.certificatePem, key: keyPair.PrivateKey, certificateId: certificate.certificateId, certificateArn: certificate.certificateArn };
}

export async function connectDevice(server: RunningServer, clientId: string, identity: { cert: string; key: string }): Promise<MqttClient> {
  return connectAsync(server.mqtt.tlsUrl!, {
    clientId,
    ca: readFileSync(server.mqtt.caFile!, 'utf8'),
    cert: identity.cert,
    key: identity.key,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
}

export async function putFirmware(server: RunningServer, bucket: string, key: string, bytes: Uint8Array): Promise<void> {
  try {
    await server.objects.createBucket(bucket);
  } catch {
    // exists
  }
  await server.objects.putObject(bucket, key, Readable.from([Buffer.from(bytes)]));
}

/** Tries a device connection: 'connected' when CONNACK arrives, 'refused' when the broker closes it first. */
export function tryConnect(server: RunningServer, clientId: string, identity: { cert: string; key: string }): Promise<'connected' | 'refused'> {
  return new Promise((resolve) => {
    const c = connect(server.mqtt.tlsUrl!, { clientId, ca: readFileSync(server.mqtt.caFile!, 'utf8'), cert: identity.cert, key: identity.key, reconnectPeriod: 0, connectTimeout: 20_000 });
    c.once('connect', () => {
      c.end(true);
      resolve('connected');
    });
    c.once('close', () => resolve('refused'));
    c.on('error', () => undefined);
  });
}
