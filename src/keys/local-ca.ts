/**
 * A certificate authority the server makes for itself on first start and keeps in its data
 * directory: the device CA (signs CreateKeysAndCertificate certificates) and the broker CA (signs
 * the MQTT broker's TLS certificate). The CA key is stored sealed with the server's master key
 * (`<name>.key.sealed`, 0600), never as plain PEM; it never leaves this module.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCertificate, subjectNameDer, toPem, type CertificateSpec } from './certificate-builder.js';
import { parsePemCertificates } from './certificate-checks.js';
import { inMemorySigningKey } from './software-sign.js';

/** id-kp-serverAuth and id-kp-clientAuth. [RFC 5280 §4.2.1.12] */
export const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

const DAY = 86_400_000;

/** Seals key material at rest (the accounts' SecretBox fits: AES-256-GCM under the master key). */
export interface KeySealer {
  seal(plaintext: string, aad: string): Uint8Array;
  open(sealed: Uint8Array, aad: string): string;
}

/** Writes a private key PEM sealed (0600). */
export function writeSealedKey(file: string, pem: string, sealer: KeySealer): void {
  writeFileSync(file, sealer.seal(pem, file.split('/').pop() as string), { mode: 0o600 });
}
/** Reads a key written by {@link writeSealedKey}. */
export function readSealedKey(file: string, sealer: KeySealer): string {
  return sealer.open(new Uint8Array(readFileSync(file)), file.split('/').pop() as string);
}

export interface LocalCa {
  certificatePem: string;
  certificatePath: string;
  /** Issues a P-256 leaf certificate; returns its PEM, DER and the new key (PKCS#8 PEM). */
  issue(spec: Pick<CertificateSpec, 'subject' | 'extendedKeyUsage' | 'subjectAltNames'> & { validityDays?: number }): Promise<{ certificatePem: string; certificateDer: Uint8Array; privateKeyPem: string }>;
}

/** Loads `<dir>/<name>.cert.pem` + `<name>.key.sealed`, creating them (P-256, 20 years) when absent. */
export async function loadOrCreateLocalCa(dir: string, name: string, commonName: string, sealer: KeySealer): Promise<LocalCa> {
  const certificatePath = join(dir, `${name}.cert.pem`);
  const keyPath = join(dir, `${name}.key.sealed`);
  let key: KeyObject;
  let certificatePem: string;
  if (existsSync(certificatePath) && existsSync(keyPath)) {
    key = createPrivateKey(readSealedKey(keyPath, sealer));
    certificatePem = readFileSync(certificatePath, 'utf8');
  } else {
    key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const now = Date.now();
    const der = await buildCertificate(
      {
        subject: `CN=${commonName}, O=iot-signer`,
        publicKeySpki: new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' })),
        notBefore: new Date(now - 5 * 60_000),
        notAfter: new Date(now + 20 * 365 * DAY),
        ca: { pathLength: 0 },
        keyUsage: ['keyCertSign', 'crlSign', 'digitalSignature'],
      },
      { key: inMemorySigningKey(key) },
    );
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeSealedKey(keyPath, key.export({ format: 'pem', type: 'pkcs8' }) as string, sealer);
    certificatePem = toPem(der);
    writeFileSync(certificatePath, certificatePem);
  }
  const caDer = parsePemCertificates(certificatePem, 'certificate')[0] as Uint8Array;
  const issuer = { key: inMemorySigningKey(key), nameDer: subjectNameDer(caDer) };
  return {
    certificatePem,
    certificatePath,
    async issue(spec) {
      const leaf = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
      const now = Date.now();
      const der = await buildCertificate(
        {
          subject: spec.subject,
          publicKeySpki: new Uint8Array(createPublicKey(leaf).export({ format: 'der', type: 'spki' })),
          notBefore: new Date(now - 5 * 60_000),
          notAfter: new Date(now + (spec.validityDays ?? 10 * 365) * DAY),
          keyUsage: ['digitalSignature', 'keyAgreement'],
          ...(spec.extendedKeyUsage ? { extendedKeyUsage: spec.extendedKeyUsage } : {}),
          ...(spec.subjectAltNames ? { subjectAltNames: spec.subjectAltNames } : {}),
        },
        issuer,
      );
      return { certificatePem: toPem(der), certificateDer: der, privateKeyPem: leaf.export({ format: 'pem', type: 'pkcs8' }) as string };
    },
  };
}
