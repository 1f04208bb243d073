/**
 * The embedded MQTT broker (aedes): MQTT over TLS with X.509 client-certificate authentication
 * against the certificates registered to things, and plain MQTT on 127.0.0.1 for local tools.
 *
 * Device rules (the policy AWS IoT users typically attach, fixed here):
 * - the TLS handshake asks for a client certificate; a certificate that is not registered, not
 *   ACTIVE or out of its validity is refused right after the handshake, before any MQTT;
 * - a device may publish and subscribe only under `$aws/things/<thing>/` for the things its
 *   certificate is attached to (no wildcard in the thing level), nothing else;
 * - a certificate that becomes INACTIVE or REVOKED disconnects its live sessions.
 * Clients of the plain 127.0.0.1 listener are local tools and may use any topic.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import type { PortConfig } from '../config/index.js';
import type { CertificateStatus } from '../iot/index.js';
import type { Logger } from '../log/index.js';
import { listenWithFallback } from '../server/listen.js';
import type { BrokerTls } from './broker-certs.js';
import { topicMatches } from './topic-filter.js';
import type { MqttTransport } from './transport.js';

export interface DeviceDirectory {
  authenticateDevice(certificateDer: Uint8Array): Promise<{ accountId: string; certificateId: string; thingNames: string[] } | undefined>;
  onStatusChange(listener: (certificateId: string, status: CertificateStatus) => void): void;
}

interface Identity {
  certificateId: string;
  thingNames: Set<string>;
}

export interface EmbeddedBroker {
  tlsPort: number;
  plainPort: number;
  transport: MqttTransport;
  close(): Promise<void>;
}

/** `$aws/things/<thing>/…` with `<thing>` one of the device's things (literal, no wildcard). */
function ownsTopic(id: Identity, topic: string): boolean {
  const m = /^\$aws\/things\/([^/]+)\/./.exec(topic);
  return m !== null && id.thingNames.has(m[1] as string);
}

export async function startEmbeddedBroker(opts: {
  tls: BrokerTls;
  devices: DeviceDirectory;
  /**
   * Only certificates of this account may connect (the account the OTA service serves). A function:
   * the server binds the broker's ports before the admin account exists; until it does, no device connects.
   */
  accountId: () => string | undefined;
  host: string;
  tlsPort: PortConfig;
  plainPort: PortConfig;
  logger: Logger;
}): Promise<EmbeddedBroker> {
  const { logger } = opts;
  const identities = new WeakMap<object, Identity>();
  const local = new WeakSet<object>();
  const byCertificate = new Map<string, Set<Client>>();
  const subscriptions = new Map<Client, Set<string>>();

  const broker = await Aedes.createBroker({
    authenticate(client, _username, _password, done) {
      const id = identities.get(client.conn);
      if (id) {
        let set = byCertificate.get(id.certificateId);
        if (!set) byCertificate.set(id.certificateId, (set = new Set()));
        set.add(client);
        return done(null, true);
      }
      if (local.has(client.conn)) return done(null, true);
      const err = Object.assign(new Error('not authorized'), { returnCode: 5 as const });
      done(err as never, false);
    },
    authorizePublish(client, packet, callback) {
      if (!client || local.has(client.conn)) return callback(null);
      const id = identities.get(client.conn);
      if (id && ownsTopic(id, packet.topic)) return callback(null);
      logger.warn('mqtt: publish refused', { clientId: client.id, topic: packet.topic.slice(0, 200) });
      callback(new Error('not authorized'));
    },
    authorizeSubscribe(client, sub, callback) {
      if (local.has(client.conn)) return callback(null, sub);
      const id = identities.get(client.conn);
      if (id && ownsTopic(id, sub.topic)) return callback(null, sub);
      logger.warn('mqtt: subscribe refused', { clientId: client.id, topic: sub.topic.slice(0, 200) });
      // A null subscription is a SUBACK failure (0x80) for this filter; the session stays up.
      callback(null, null);
    },
  });
  broker.on('subscribe', (subs, client) => {
    let set = subscriptions.get(client);
    if (!set) subscriptions.set(client, (set = new Set()));
    for (const s of subs) set.add(s.topic);
  });
  broker.on('unsubscribe', (topics, client) => {
    const set = subscriptions.get(client);
    for (const t of topics) set?.delete(t);
  });
  broker.on('clientDisconnect', (client) => {
    subscriptions.delete(client);
    const id = identities.get(client.conn);
    if (id) byCertificate.get(id.certificateId)?.delete(client);
  });
  broker.on('clientError', (client, err) => logger.debug('mqtt: client error', { clientId: client.id, error: err.message }));
  broker.on('connectionError', (client, err) => logger.debug('mqtt: connection error', { clientId: client?.id, error: err.message }));

  opts.devices.onStatusChange((certificateId, status) => {
    if (status === 'ACTIVE') return;
    for (const c of byCertificate.get(certificateId) ?? []) c.close();
    byCertificate.delete(certificateId);
  });

  const tlsServer: TlsServer = createTlsServer({ cert: opts.tls.certPem, key: opts.tls.keyPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' });
  tlsServer.on('secureConnection', (socket: TLSSocket) => {
    socket.on('error', () => socket.destroy());
    // Small MQTT packets (block requests, acks) must not wait for Nagle's algorithm.
    socket.setNoDelay(true);
    const cert = socket.getPeerCertificate(false);
    if (!cert || !cert.raw) {
      socket.destroy();
      return;
    }
    opts.devices
      .authenticateDevice(new Uint8Array(cert.raw))
      .then((auth) => {
        if (!auth || auth.accountId !== opts.accountId()) {
          logger.warn('mqtt: refused a client certificate that is not registered and ACTIVE', { remote: socket.remoteAddress });
          socket.destroy();
          return;
        }
        identities.set(socket, { certificateId: auth.certificateId, thingNames: new Set(auth.thingNames) });
        broker.handle(socket);
      })
      .catch((e: unknown) => {
        logger.error('mqtt: device lookup failed', { error: String(e) });
        socket.destroy();
      });
  });
  tlsServer.on('tlsClientError', () => undefined);
  const plainServer: NetServer = createNetServer((socket: Socket) => {
    socket.on('error', () => socket.destroy());
    socket.setNoDelay(true);
    local.add(socket);
    broker.handle(socket);
  });

  const listen = (server: NetServer | TlsServer, host: string) => (port: number) =>
    new Promise<number>((resolve, reject) => {
      const onError = (e: Error) => {
        server.off('listening', onListening);
        reject(e);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve((server.address() as { port: number }).port);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, host);
    });
  const closeServer = (s: NetServer | TlsServer) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()));
  let tlsPort: number;
  let plainPort: number;
  try {
    tlsPort = await listenWithFallback('MQTT over TLS', opts.tlsPort, listen(tlsServer, opts.host), logger);
    plainPort = await listenWithFallback('MQTT (local, plain)', opts.plainPort, listen(plainServer, '127.0.0.1'), logger);
  } catch (e) {
    // A taken port: nothing stays bound and the broker's timers stop, so the caller can exit cleanly.
    await new Promise<void>((r) => broker.close(() => r()));
    await Promise.all([closeServer(tlsServer), closeServer(plainServer)]);
    throw e;
  }

  let handler: (topic: string, payload: Uint8Array) => void = () => undefined;
  let filters: readonly string[] = [];
  broker.on('publish', (packet, client) => {
    if (!client) return;
    if (!filters.some((f) => topicMatches(f, packet.topic))) return;
    handler(packet.topic, new Uint8Array(packet.payload as Buffer));
  });

  const transport: MqttTransport = {
    onMessage(h) {
      handler = h;
    },
    async start(f) {
      filters = [...f];
    },
    publish(topic, payload, qos) {
      return new Promise((resolve, reject) =>
        broker.publish({ cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), qos, retain: false, dup: false }, (e) => (e ? reject(e) : resolve())),
      );
    },
    hasSubscriber(topic) {
      for (const set of subscriptions.values()) for (const f of set) if (topicMatches(f, topic)) return true;
      return false;
    },
    async close() {
      handler = () => undefined;
    },
  };

  return {
    tlsPort,
    plainPort,
    transport,
    async close() {
      await new Promise<void>((r) => broker.close(() => r()));
      await Promise.all([closeServer(tlsServer), closeServer(plainServer)]);
    },
  };
}
