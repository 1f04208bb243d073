import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { derFromPemOrDer } from './pem.js';
import { VerificationFailure } from './verification-failure.js';
import { parseCertificate } from './x509.js';

const certs = new URL('../test/vectors/bootloaders/freertos-ota/certs/', import.meta.url);
const pem = (name: string) => readFileSync(new URL(name, certs), 'utf8');

function reason(f: () => unknown): string {
  try {
    f();
    return 'accepted';
  } catch (e) {
    return e instanceof VerificationFailure ? e.reason : String(e);
  }
}

describe('parseCertificate: the unsigned parts must be canonical [RFC 5280 4.1.1.2, X.690 11.2]', () => {
  it.each(['ecdsa-sha256-signer.crt.pem', 'rsa-sha256-signer.crt.pem', 'rsa-sha1-root-ca-cert.pem'])('%s parses as published', (name) => {
    expect(reason(() => parseCertificate(derFromPemOrDer(pem(name), ['CERTIFICATE'])))).toBe('accepted');
  });

  it.each(['ecdsa-sha256-signer.crt.pem', 'rsa-sha256-signer.crt.pem'])(
    '%s with non-zero "unused bits" in the signature BIT STRING is BadCertificate (same signature, other encoding)',
    (name) => {
      const der = Uint8Array.from(derFromPemOrDer(pem(name), ['CERTIFICATE']));
      const sigLength = parseCertificate(der).signature.length;
      for (const unused of [1, 2, 7]) {
        const mutated = Uint8Array.from(der);
        mutated[der.length - sigLength - 1] = unused;
        expect(reason(() => parseCertificate(mutated))).toBe('BadCertificate');
      }
    },
  );

  it('an outer signatureAlgorithm that differs from the TBS signature field is BadCertificate', () => {
    const der = Uint8Array.from(derFromPemOrDer(pem('rsa-sha256-signer.crt.pem'), ['CERTIFICATE']));
    // sha256WithRSAEncryption (…01 01 0b) appears twice: in the TBS, then outside it. Change the outer one to sha1WithRSA.
    const oid = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    let last = -1;
    for (let i = 0; i + oid.length <= der.length; i++) if (oid.every((b, j) => der[i + j] === b)) last = i;
    expect(last).toBeGreaterThan(0);
    const mutated = Uint8Array.from(der);
    mutated[last + oid.length - 1] = 0x05;
    expect(reason(() => parseCertificate(mutated))).toBe('BadCertificate');
  });

  it('a signatureAlgorithm SEQUENCE whose length is off by one is BadCertificate, though a lenient parser reads it', () => {
    const der = Uint8Array.from(derFromPemOrDer(pem('ecdsa-sha256-signer.crt.pem'), ['CERTIFICATE']));
    const outer = [0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    let last = -1;
    for (let i = 0; i + outer.length <= der.length; i++) if (outer.every((b, j) => der[i + j] === b)) last = i;
    expect(last).toBeGreaterThan(0);
    const mutated = Uint8Array.from(der);
    mutated[last + 1] = 0x09;
    expect(reason(() => parseCertificate(mutated))).toBe('BadCertificate');
  });
});
