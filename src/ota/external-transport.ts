/**
 * The OTA service on an external broker (`SIGNER_MQTT_URL`: Mosquitto here, AWS IoT Core in
 * production) through the `mqtt` package. The broker's own ACLs decide who may touch which
 * topics; this client needs to read the request topics of every thing and write the answers.
 */
import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Logger } from '../log/index.js';
import type { MqttTransport } from './transport.js';

export async function connectExternalTransport(url: string, logger: Logger, options: { ca?: string; cert?: string; key?: string } = {}): Promise<MqttTransport> {
  const { connectAsync } = await import('mqtt');
  const client: MqttClient = await connectAsync(url, {
    clientId: `iot-signer-ota-${randomUUID().slice(0, 8)}`,
    clean: true,
    reconnectPeriod: 1000,
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.cert ? { cert: options.cert } : {}),
    ...(options.key ? { key: options.key } : {}),
  });
  client.on('error', (e) => logger.warn('mqtt: external broker error', { error: e.message }));
  let handler: (topic: string, payload: Uint8Array) => void = () => undefined;
  client.on('message', (topic, payload) => handler(topic, new Uint8Array(payload)));
  return {
    onMessage(h) {
      handler = h;
    },
    async start(filters) {
      await client.subscribeAsync(filters.map((f) => f), { qos: 1 });
    },
    async publish(topic, payload, qos) {
      await client.publishAsync(topic, typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), { qos });
    },
    hasSubscriber: () => undefined,
    async close() {
      handler = () => undefined;
      await client.endAsync();
    },
  };
}
