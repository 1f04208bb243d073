/**
 * FreeRTOS default (PAL and strict) and TI CC3220SF: whole-file hash + job-document signature
 * (FreeRTOS OTA PAL otaPal_CheckFileSignature; reference/notes/bootloaders-freertos-ota-cc3220sf.md;
 * RFC 5280 §4.2.1.3, §4.2.1.12, §6 for the strict chain checks).
 */
import { KeyObject, sign as nodeSign, webcrypto } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrustStore, createVerifier, InMemoryRevocationList, verify, type ReasonCode, type TrustStore, type TrustStoreInput } from '../index.js';

// @peculiar/x509 (used here only to mint test certificates) needs a reflect-metadata polyfill,
// which is not installed; this minimal one is enough for its tsyringe container.
const store = new WeakMap<object, Map<unknown, unknown>>();
const R = Reflect as unknown as Record<string, unknown>;
R.getMetadata ??= (key: unknown, target: object) => store.get(target)?.get(key);
R.getOwnMetadata ??= R.getMetadata;
R.hasMetadata ??= (key: unknown, target: object) => store.get(target)?.has(key) ?? false;
R.defineMetadata ??= (key: unknown, value: unknown, target: object) => {
  const map = store.get(target) ?? new Map();
  map.set(key, value);
  store.set(target, map);
};
R.metadata ??= (key: unknown, value: unknown) => (target: object) => (R.defineMetadata as (k: unknown, v: unknown, t: object) => void)(key, value, target);
const x509 = await import('@peculiar/x509');
x509.cryptoProvider.set(webcrypto as never);
type X509Certificate = InstanceType<typeof x509.X509Certificate>;

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-1', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;
const DAY = 86_400_000;
const NOW = new Date('2026-06-01T00:00:00Z');
const file = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 31 + 7) & 0xff);

interface Issued {
  readonly cert: X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly der: Uint8Array;
}

async function issue(opts: {
  name: string;
  issuer?: Issued;
  ca?: boolean;
  eku?: string[] | false;
  keyUsage?: number;
  notBefore?: Date;
  notAfter?: Date;
  alg?: typeof EC | typeof RSA;
  raw?: InstanceType<typeof x509.Extension>[];
}): Promise<Issued> {
  const alg = opts.alg ?? EC;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const extensions: InstanceType<typeof x509.Extension>[] = [];
  if (opts.ca) extensions.push(new x509.BasicConstraintsExtension(true, undefined, true));
  if (opts.eku !== false) extensions.push(new x509.ExtendedKeyUsageExtension(opts.eku ?? [x509.ExtendedKeyUsage.codeSigning]));
  if (opts.keyUsage !== undefined) extensions.push(new x509.KeyUsagesExtension(opts.keyUsage, true));
  extensions.push(...(opts.raw ?? []));
  const signer = opts.issuer ?? undefined;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: String(Math.floor(Math.random() * 1e9)),
    subject: `CN=${opts.name}`,
    issuer: signer ? signer.cert.subject : `CN=${opts.name}`,
    notBefore: opts.notBefore ?? new Date(NOW.getTime() - 30 * DAY),
    notAfter: opts.notAfter ?? new Date(NOW.getTime() + 365 * DAY),
    signingAlgorithm: alg,
    publicKey: keys.publicKey,
    signingKey: signer ? signer.keys.privateKey : keys.privateKey,
    extensions,
  });
  return { cert, keys, der: new Uint8Array(cert.rawData) };
}

function signFile(who: Issued, hash: 'sha256' | 'sha1', data = file): Uint8Array {
  return new Uint8Array(nodeSign(hash, data, KeyObject.from(who.keys.privateKey)));
}

let root: Issued, otherRoot: Issued, intermediate: Issued, leaf: Issued, leafViaIntermediate: Issued, noEku: Issued, certSignOnly: Issued;
let badEku: Issued, future: Issued, expired: Issued, untrusted: Issued, rsaRoot: Issued, rsaLeaf: Issued, deep: Issued[], notCaIssuer: Issued, leafOfNotCa: Issued;

beforeAll(async () => {
  root = await issue({ name: 'test-only root', ca: true, eku: false });
  otherRoot = await issue({ name: 'test-only other root', ca: true, eku: false });
  intermediate = await issue({ name: 'test-only intermediate', issuer: root, ca: true, eku: false });
  leaf = await issue({ name: 'test-only signer', issuer: root, keyUsage: x509.KeyUsageFlags.digitalSignature });
  leafViaIntermediate = await issue({ name: 'test-only signer 2', issuer: intermediate });
  noEku = await issue({ name: 'test-only no eku', issuer: root, eku: false });
  certSignOnly = await issue({ name: 'test-only certsign', issuer: root, keyUsage: x509.KeyUsageFlags.keyCertSign });
  badEku = await issue({ name: 'test-only bad eku', issuer: root, eku: false, raw: [new x509.Extension('2.5.29.37', false, new Uint8Array([0x01, 0x02]))] });
  future = await issue({ name: 'test-only future', issuer: root, notBefore: new Date(NOW.getTime() + DAY) });
  expired = await issue({ name: 'test-only expired', issuer: root, notAfter: new Date(NOW.getTime() - DAY) });
  untrusted = await issue({ name: 'test-only untrusted', issuer: otherRoot });
  rsaRoot = await issue({ name: 'test-only rsa root', ca: true, eku: false, alg: RSA });
  rsaLeaf = await issue({ name: 'test-only rsa signer', issuer: rsaRoot, alg: RSA });
  notCaIssuer = await issue({ name: 'test-only not a CA', issuer: root });
  leafOfNotCa = await issue({ name: 'test-only leaf of non-CA', issuer: notCaIssuer });
  deep = [root];
  for (let i = 0; i < 5; i++) deep.push(await issue({ name: `test-only level ${i}`, issuer: deep[deep.length - 1], ca: i < 4, eku: i < 4 ? false : undefined }));
}, 120_000);

interface Row {
  readonly name: string;
  readonly format: 'freertos' | 'cc3220sf';
  readonly trust: () => TrustStoreInput;
  readonly options: () => Record<string, unknown>;
  readonly reason: ReasonCode | 'ok';
  readonly bytes?: Uint8Array;
}

const strict = (extra: Record<string, unknown> = {}) => ({ mode: 'strict', at: NOW, ...extra });

const rows: Row[] = [
  { name: '[PAL] provisioned certificate, valid DER signature', format: 'freertos', trust: () => ({ certificates: [leaf.der] }), options: () => ({ signature: signFile(leaf, 'sha256') }), reason: 'ok' },
  { name: '[PAL] a raw provisioned public key works too', format: 'freertos', trust: () => ({ publicKeys: [new Uint8Array(leaf.cert.publicKey.rawData)] }), options: () => ({ signature: signFile(leaf, 'sha256') }), reason: 'ok' },
  { name: '[PAL] expired certificate still verifies (PAL reads only the key)', format: 'freertos', trust: () => ({ certificates: [expired.der] }), options: () => ({ signature: signFile(expired, 'sha256') }), reason: 'ok' },
  { name: '[PAL] nothing provisioned', format: 'freertos', trust: () => ({}), options: () => ({ signature: signFile(leaf, 'sha256') }), reason: 'NoTrustAnchor' },
  { name: '[PAL] job document without signature', format: 'freertos', trust: () => ({ certificates: [leaf.der] }), options: () => ({}), reason: 'MissingSignature' },
  { name: '[PAL] empty signature', format: 'freertos', trust: () => ({ certificates: [leaf.der] }), options: () => ({ signature: new Uint8Array(0) }), reason: 'MissingSignature' },
  { name: '[kOTA_MaxSignatureSize] signature over 384 bytes', format: 'freertos', trust: () => ({ certificates: [leaf.der] }), options: () => ({ signature: new Uint8Array(385) }), reason: 'Oversize' },
  { name: '[PAL] file over maxImageSize', format: 'freertos', trust: () => ({ certificates: [leaf.der] }), options: () => ({ signature: signFile(leaf, 'sha256'), maxImageSize: 100 }), reason: 'Oversize' },
  { name: '[PAL] signature by another key', format: 'freertos', trust: () => ({ certificates: [leaf.der] }), options: () => ({ signature: signFile(untrusted, 'sha256') }), reason: 'SignatureInvalid' },
  { name: '[PAL] file changed after signing', format: 'freertos', trust: () => ({ certificates: [leaf.der] }), options: () => ({ signature: signFile(leaf, 'sha256', file.subarray(1)) }), reason: 'SignatureInvalid' },
  { name: '[sig-sha256-ecdsa] an RSA certificate cannot verify ECDSA', format: 'freertos', trust: () => ({ certificates: [rsaLeaf.der] }), options: () => ({ signature: signFile(leaf, 'sha256') }), reason: 'UnsupportedAlgorithm' },
  { name: '[sig-sha256-rsa] RSA PKCS#1 v1.5 SHA-256', format: 'freertos', trust: () => ({ certificates: [rsaLeaf.der] }), options: () => ({ signature: signFile(rsaLeaf, 'sha256'), signatureMethod: 'sig-sha256-rsa' }), reason: 'ok' },
  {
    name: '[revocation] revoked key, then a valid second key: the valid one decides',
    format: 'freertos',
    trust: () => ({ certificates: [untrusted.der, leaf.der], revocation: revokedKeyOf(untrusted) }),
    options: () => ({ signature: signFile(leaf, 'sha256') }),
    reason: 'ok',
  },
  {
    name: '[revocation] the only key is revoked',
    format: 'freertos',
    trust: () => ({ certificates: [leaf.der, untrusted.der], revocation: revokedKeyOf(leaf) }),
    options: () => ({ signature: signFile(leaf, 'sha256') }),
    reason: 'Revoked',
  },
  { name: '[strict] chain to a trusted root, EKU codeSigning, in validity', format: 'freertos', trust: () => ({ certificates: [leaf.der], roots: [root.der] }), options: () => ({ signature: signFile(leaf, 'sha256'), ...strict() }), reason: 'ok' },
  {
    name: '[strict] signer certificate delivered with the job (PEM), through an intermediate',
    format: 'freertos',
    trust: () => ({ roots: [root.der], intermediates: [intermediate.der] }),
    options: () => ({ signature: signFile(leafViaIntermediate, 'sha256'), ...strict({ signerCertificate: leafViaIntermediate.cert.toString('pem') }) }),
    reason: 'ok',
  },
  { name: '[strict] the leaf itself pinned as a root', format: 'freertos', trust: () => ({ certificates: [leaf.der], roots: [leaf.der] }), options: () => ({ signature: signFile(leaf, 'sha256'), ...strict() }), reason: 'ok' },
  { name: '[strict] default instant is now', format: 'freertos', trust: () => ({ certificates: [leaf.der], roots: [root.der] }), options: () => ({ signature: signFile(leaf, 'sha256'), mode: 'strict' }), reason: 'ok' },
  { name: '[strict] no roots provisioned', format: 'freertos', trust: () => ({ certificates: [leaf.der] }), options: () => ({ signature: signFile(leaf, 'sha256'), ...strict() }), reason: 'NoTrustAnchor' },
  { name: '[strict] no signer certificate at all', format: 'freertos', trust: () => ({ roots: [root.der] }), options: () => ({ signature: signFile(leaf, 'sha256'), ...strict() }), reason: 'NoTrustAnchor' },
  { name: '[RFC5280 4.1.2.5] certificate expired', format: 'freertos', trust: () => ({ certificates: [expired.der], roots: [root.der] }), options: () => ({ signature: signFile(expired, 'sha256'), ...strict() }), reason: 'Expired' },
  { name: '[RFC5280 4.1.2.5] certificate not yet valid', format: 'freertos', trust: () => ({ certificates: [future.der], roots: [root.der] }), options: () => ({ signature: signFile(future, 'sha256'), ...strict() }), reason: 'NotYetValid' },
  { name: '[RFC5280 4.2.1.12] no code-signing EKU', format: 'freertos', trust: () => ({ certificates: [noEku.der], roots: [root.der] }), options: () => ({ signature: signFile(noEku, 'sha256'), ...strict() }), reason: 'UntrustedCertificate' },
  { name: '[RFC5280 4.2.1.3] keyUsage without digitalSignature', format: 'freertos', trust: () => ({ certificates: [certSignOnly.der], roots: [root.der] }), options: () => ({ signature: signFile(certSignOnly, 'sha256'), ...strict() }), reason: 'UntrustedCertificate' },
  { name: '[RFC5280 6.1] chained to an untrusted root', format: 'freertos', trust: () => ({ certificates: [untrusted.der], roots: [root.der] }), options: () => ({ signature: signFile(untrusted, 'sha256'), ...strict() }), reason: 'UntrustedCertificate' },
  {
    name: '[RFC5280 4.2.1.9] issuer without cA is not an intermediate',
    format: 'freertos',
    trust: () => ({ certificates: [leafOfNotCa.der], intermediates: [notCaIssuer.der], roots: [root.der] }),
    options: () => ({ signature: signFile(leafOfNotCa, 'sha256'), ...strict() }),
    reason: 'UntrustedCertificate',
  },
  {
    name: '[MAX_CHAIN_LENGTH] a chain of 6 certificates is refused',
    format: 'freertos',
    trust: () => ({ certificates: [deep[5]!.der], intermediates: deep.slice(1, 5).map((c) => c.der), roots: [root.der] }),
    options: () => ({ signature: signFile(deep[5]!, 'sha256'), ...strict() }),
    reason: 'UntrustedCertificate',
  },
  { name: '[strict] SHA-1 certificate signatures are refused', format: 'freertos', trust: () => ({ certificates: [rsaLeaf.der], roots: [rsaRoot.der] }), options: () => ({ signature: signFile(rsaLeaf, 'sha256'), signatureMethod: 'sig-sha256-rsa', ...strict() }), reason: 'UntrustedCertificate' },
  { name: '[revocation] revoked signer certificate', format: 'freertos', trust: () => ({ certificates: [leaf.der], roots: [root.der], revocation: revoked({ certificates: [fp(leaf)] }) }), options: () => ({ signature: signFile(leaf, 'sha256'), ...strict() }), reason: 'Revoked' },
  { name: '[revocation] revoked root', format: 'freertos', trust: () => ({ certificates: [leaf.der], roots: [root.der], revocation: revoked({ certificates: [fp(root)] }) }), options: () => ({ signature: signFile(leaf, 'sha256'), ...strict() }), reason: 'Revoked' },
  { name: '[strict] job carries a malformed certificate', format: 'freertos', trust: () => ({ roots: [root.der] }), options: () => ({ signature: signFile(leaf, 'sha256'), ...strict({ signerCertificate: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]) }) }), reason: 'BadCertificate' },
  {
    name: '[RFC5280 4.2.1.12] malformed extended key usage extension',
    format: 'freertos',
    trust: () => ({ roots: [root.der] }),
    options: () => ({ signature: signFile(badEku, 'sha256'), ...strict({ signerCertificate: badEku.der }) }),
    reason: 'BadCertificate',
  },
  {
    name: '[fail closed] revocation storage failing mid-chain gives InternalError',
    format: 'freertos',
    trust: () => ({ certificates: [leaf.der], roots: [root.der], revocation: { isRevoked: () => { throw new Error('storage gone'); } } }),
    options: () => ({ signature: signFile(leaf, 'sha256'), ...strict() }),
    reason: 'InternalError',
  },
  { name: '[strict] job carries text that is not PEM', format: 'freertos', trust: () => ({ roots: [root.der] }), options: () => ({ signature: signFile(leaf, 'sha256'), ...strict({ signerCertificate: 'not a certificate' }) }), reason: 'BadCertificate' },
  { name: '[CC3220SF] SHA-1 RSA signature, certificate chained to the catalog', format: 'cc3220sf', trust: () => ({ certificates: [rsaLeaf.der], roots: [rsaRoot.der] }), options: () => ({ signature: signFile(rsaLeaf, 'sha1') }), reason: 'ok' },
  { name: '[CC3220SF] certificate not in the catalog chain', format: 'cc3220sf', trust: () => ({ certificates: [rsaLeaf.der], roots: [root.der] }), options: () => ({ signature: signFile(rsaLeaf, 'sha1') }), reason: 'UntrustedCertificate' },
  { name: '[CC3220SF] validity checked only when an instant is given', format: 'cc3220sf', trust: () => ({ certificates: [rsaLeaf.der], roots: [rsaRoot.der] }), options: () => ({ signature: signFile(rsaLeaf, 'sha1'), at: new Date(NOW.getTime() + 1000 * DAY) }), reason: 'Expired' },
  { name: '[CC3220SF] SHA-256 signature where SHA-1 is expected', format: 'cc3220sf', trust: () => ({ certificates: [rsaLeaf.der], roots: [rsaRoot.der] }), options: () => ({ signature: signFile(rsaLeaf, 'sha256') }), reason: 'SignatureInvalid' },
];

function revoked(update: { keys?: string[]; certificates?: string[] }): InMemoryRevocationList {
  const list = new InMemoryRevocationList();
  list.apply({ version: 1, ...update });
  return list;
}
function fp(who: Issued): string {
  return createTrustStore({ certificates: [who.der] }).certificates[0]!.fingerprint;
}
function revokedKeyOf(who: Issued): InMemoryRevocationList {
  return revoked({ keys: [createTrustStore({ certificates: [who.der] }).certificates[0]!.publicKey.id] });
}

describe('FreeRTOS / CC3220SF bad-input table', () => {
  for (const row of rows) {
    it(`${row.name} → ${row.reason}`, () => {
      const trust: TrustStore = createTrustStore(row.trust());
      const bytes = row.bytes ?? file;
      const result = verify(bytes, row.format, trust, row.options() as never);
      if (row.reason === 'ok') expect(result).toMatchObject({ ok: true });
      else expect(result).toMatchObject({ ok: false, reason: row.reason });
      const v = createVerifier(row.format, trust, row.options() as never);
      for (let i = 0; i < bytes.length; i += 999) v.update(bytes.subarray(i, i + 999));
      const streamed = v.finish();
      expect(streamed.ok).toBe(result.ok);
    });
  }

  it('[info] success names the key and the signer certificate', () => {
    const trust = createTrustStore({ certificates: [leaf.der] });
    const result = verify(file, 'freertos', trust, { signature: signFile(leaf, 'sha256') });
    expect(result).toEqual({
      ok: true,
      info: { format: 'freertos', size: file.length, digest: expect.stringMatching(/^[0-9a-f]{64}$/), keyId: trust.certificates[0]!.publicKey.id, certificate: trust.certificates[0]!.fingerprint },
    });
  });

  it('[options] unknown signature method is a TypeError, bad maxImageSize a RangeError', () => {
    const trust = createTrustStore({ certificates: [leaf.der] });
    expect(() => createVerifier('freertos', trust, { signatureMethod: 'sig-md5-rsa' as never })).toThrow(TypeError);
    expect(() => createVerifier('freertos', trust, { maxImageSize: 0 })).toThrow(RangeError);
  });
});
