/**
 * The broker's TLS material, made on first start under `<data>/mqtt/`: a broker CA (what a
 * device trusts) and the broker's server certificate (SANs `localhost` and `IP:127.0.0.1`,
 * which the FreeRTOS agent checks against the endpoint it dials) signed by it. Kept across
 * restarts so devices keep trusting the same CA; private keys are stored sealed.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateLocalCa, OID_SERVER_AUTH, readSealedKey, writeSealedKey, type KeySealer } from '../keys/index.js';

export interface BrokerTls {
  /** PEM of the CA a device must trust to connect. */
  caPem: string;
  caFile: string;
  certPem: string;
  keyPem: string;
}

export async function loadOrCreateBrokerTls(dataDir: string, sealer: KeySealer, extraNames: { dns?: string[]; ip?: string[] } = {}): Promise<BrokerTls> {
  const dir = join(dataDir, 'mqtt');
  const ca = await loadOrCreateLocalCa(dir, 'broker-ca', 'iot-signer MQTT broker CA', sealer);
  const certFile = join(dir, 'broker.cert.pem');
  const keyFile = join(dir, 'broker.key.sealed');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    const issued = await ca.issue({
      subject: 'CN=localhost, O=iot-signer MQTT broker',
      extendedKeyUsage: [OID_SERVER_AUTH],
      subjectAltNames: { dns: ['localhost', ...(extraNames.dns ?? [])], ip: ['127.0.0.1', ...(extraNames.ip ?? [])] },
    });
    writeSealedKey(keyFile, issued.privateKeyPem, sealer);
    writeFileSync(certFile, issued.certificatePem);
  }
  return { caPem: ca.certificatePem, caFile: ca.certificatePath, certPem: readFileSync(certFile, 'utf8'), keyPem: readSealedKey(keyFile, sealer) };
}
