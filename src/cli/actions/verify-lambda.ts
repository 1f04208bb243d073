/**
 * `signer verify-lambda`: checks a signed Lambda deployment package the way Lambda does when a function
 * has a code signing configuration (AWS Lambda developer guide, "Configuring code signing for Lambda"):
 *
 * - integrity: the package was not modified since it was signed (the detached CMS signature over the
 *   entries verifies, the signer certificate was valid when it signed). Not governed by the policy:
 *   a package that fails it is always blocked;
 * - expiry: the signature has not expired;
 * - mismatch: the package is signed, by a profile version in `--allowed-profile-version-arn`, with a
 *   certificate chain that ends in a `--trusted-root`;
 * - revocation: neither the signing job nor the profile version is revoked (GetRevocationStatus on a
 *   running server: `--data-dir` or `--endpoint`; otherwise skipped with a note).
 *
 * `--mode Warn` (Lambda's default) prints the failed checks as warnings and exits 0; `--mode Enforce`
 * exits 1. Integrity failures exit 1 in both modes; usage errors exit 2.
 * The cryptographic checks are the platform's own (`verifySignedLambdaZip`).
 */
import { X509Certificate, createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { GetRevocationStatusCommand, SignerClient } from '@aws-sdk/client-signer';
import { unzipSync } from 'fflate';
import { SIGNATURE_ENTRY, verifySignedLambdaZip } from '../../../platforms/AWSLambda-SHA384-ECDSA/index.js';
import { clientContext } from '../client-context.js';

const PLATFORM_ID = 'AWSLambda-SHA384-ECDSA';

/** What the command needs from its surroundings (files, output, environment). */
export interface VerifyLambdaIo {
  stdout(s: string): void;
  stderr(s: string): void;
  readFile(path: string): Promise<Uint8Array>;
  /** For `--endpoint`: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (else the SDK's default chain). */
  env?: Record<string, string | undefined>;
}

const USAGE = `usage: signer verify-lambda PACKAGE.zip [--trusted-root ROOT.pem]... [--allowed-profile-version-arn ARN]...
                            [--mode Warn|Enforce] [--data-dir DIR | --endpoint URL [--region R]] [--at ISO-8601]
`;

type Check = 'integrity' | 'expiry' | 'mismatch' | 'revocation';

/** Runs the command; returns the exit code (0 deployable, 1 blocked, 2 usage error). */
export async function runVerifyLambda(argv: string[], io: VerifyLambdaIo): Promise<number> {
  let values: Record<string, string | string[] | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'trusted-root': { type: 'string', multiple: true },
        'allowed-profile-version-arn': { type: 'string', multiple: true },
        mode: { type: 'string', default: 'Warn' },
        'data-dir': { type: 'string' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        at: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    io.stderr(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) return (io.stdout(USAGE), 0);
  const mode = values.mode as string;
  const file = positionals[0];
  const at = values.at === undefined ? new Date() : new Date(values.at as string);
  const usage = (msg: string) => (io.stderr(`${msg}\n${USAGE}`), 2);
  if (file === undefined || positionals.length > 1) return usage('verify-lambda takes exactly one package file.');
  if (mode !== 'Warn' && mode !== 'Enforce') return usage('--mode must be Warn or Enforce.');
  if (Number.isNaN(at.getTime())) return usage('--at must be an ISO 8601 time.');
  if (values['data-dir'] !== undefined && values.endpoint !== undefined) return usage('give --data-dir or --endpoint, not both.');

  let zip: Uint8Array;
  let roots: Uint8Array[];
  try {
    zip = await io.readFile(file);
    roots = [];
    for (const f of (values['trusted-root'] as string[] | undefined) ?? []) roots.push(...certificatesIn(await io.readFile(f), f));
  } catch (e) {
    io.stderr(`${(e as Error).message}\n`);
    return 2;
  }
  const allowed = (values['allowed-profile-version-arn'] as string[] | undefined) ?? [];

  const failed = new Map<Check, string>();
  const line = (check: Check, status: 'OK' | 'FAIL' | 'SKIPPED', text: string) => {
    io.stdout(`${check}: ${status}${text ? ` — ${text}` : ''}\n`);
    if (status === 'FAIL') failed.set(check, text);
  };
  const finish = (): number => {
    const integrity = failed.has('integrity');
    for (const [check, text] of failed) io.stderr(`warning: ${check} check failed: ${text}\n`);
    if (integrity) return (io.stdout('result: BLOCKED (integrity failures block deployment in every mode)\n'), 1);
    if (failed.size === 0) return (io.stdout('result: deployable\n'), 0);
    if (mode === 'Enforce') return (io.stdout(`result: BLOCKED (Enforce: ${[...failed.keys()].join(', ')})\n`), 1);
    return (io.stdout(`result: deployable with warnings (Warn: ${[...failed.keys()].join(', ')})\n`), 0);
  };

  // The signature entry and the certificates it carries (read with fflate, not the platform's reader).
  let packageCertificates: Uint8Array[];
  try {
    const entries = unzipSync(zip, { filter: (f) => f.name === SIGNATURE_ENTRY });
    const sf = entries[SIGNATURE_ENTRY];
    if (sf === undefined) {
      line('integrity', 'SKIPPED', 'the package is not signed');
      line('expiry', 'SKIPPED', '');
      line('mismatch', 'FAIL', `the package is not signed (no ${SIGNATURE_ENTRY})`);
      line('revocation', 'SKIPPED', '');
      return finish();
    }
    packageCertificates = pkcs7Certificates(sf);
  } catch (e) {
    line('integrity', 'FAIL', `not a readable signed zip: ${(e as Error).message}`);
    return finish();
  }

  // Integrity: digest of the entries + signature, with the package's own leaf as the anchor (who signed is "mismatch").
  const integrity = await verifySignedLambdaZip(zip, { trustedRoots: packageCertificates, now: at });
  if (!integrity.ok) {
    line('integrity', 'FAIL', integrity.reason);
    return finish();
  }
  const { claims } = integrity;
  const leaf = new X509Certificate(Buffer.from(integrity.certificates.find((c) => isLeaf(c, integrity.certificates)) ?? packageCertificates[0]!));
  line('integrity', 'OK', `signed ${claims.signingTime.toISOString()} by job ${claims.signingJobArn}`);

  line(
    'expiry',
    integrity.expired ? 'FAIL' : 'OK',
    integrity.expired ? `the signature expired at ${claims.signatureExpiresAt.toISOString()}` : `valid until ${claims.signatureExpiresAt.toISOString()}`,
  );

  // Mismatch: who signed. The profile version ARN is only as trustworthy as the chain behind it.
  const problems: string[] = [];
  let anchored = false;
  if (roots.length > 0) {
    const trusted = await verifySignedLambdaZip(zip, { trustedRoots: roots, now: at });
    if (trusted.ok) anchored = true;
    else problems.push(`the signer is not trusted: ${trusted.reason}`);
  }
  if (allowed.length > 0) {
    if (!allowed.includes(claims.signingProfileVersionArn)) problems.push(`profile version ${claims.signingProfileVersionArn} is not an allowed publisher`);
    if (roots.length === 0) problems.push('no --trusted-root: the signer certificate (and so the profile version it claims) is unverified');
  }
  if (problems.length > 0) line('mismatch', 'FAIL', problems.join('; '));
  else if (allowed.length === 0) {
    line('mismatch', 'SKIPPED', `no --allowed-profile-version-arn given (signed by ${claims.signingProfileVersionArn}${anchored ? ', chain trusted' : ''})`);
  } else line('mismatch', 'OK', `${claims.signingProfileVersionArn}${anchored ? ', chain ends in a trusted root' : ''}`);
  if (roots.length === 0) {
    const top = chainTop(leaf, packageCertificates);
    io.stderr(`note: the package's chain ends at "${top.subject.replace(/\n/g, ', ')}" (SHA-256 ${top.fingerprint256}); pass it as --trusted-root once you trust it.\n`);
  }

  // Revocation: the server that signed knows.
  const client = revocationClient(values, io);
  if (client === undefined) {
    line('revocation', 'SKIPPED', 'no --data-dir or --endpoint: revocation was not checked');
  } else {
    try {
      const out = await client.send(
        new GetRevocationStatusCommand({
          signatureTimestamp: claims.signingTime,
          platformId: PLATFORM_ID,
          profileVersionArn: claims.signingProfileVersionArn,
          jobArn: claims.signingJobArn,
          certificateHashes: [certificateHash(leaf, integrity.certificates)],
        }),
      );
      const revoked = out.revokedEntities ?? [];
      line('revocation', revoked.length > 0 ? 'FAIL' : 'OK', revoked.length > 0 ? `revoked: ${revoked.join(', ')}` : 'not revoked');
    } catch (e) {
      line('revocation', 'FAIL', `could not be checked: ${(e as Error).name}: ${(e as Error).message}`);
    }
  }
  return finish();
}

function revocationClient(values: Record<string, unknown>, io: VerifyLambdaIo): Pick<SignerClient, 'send'> | undefined {
  if (typeof values['data-dir'] === 'string') return clientContext(values['data-dir']).signer;
  if (typeof values.endpoint !== 'string') return undefined;
  const env = io.env ?? process.env;
  const region = (values.region as string | undefined) ?? env.AWS_REGION ?? 'us-east-1';
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
      : undefined;
  // GetRevocationStatus has hostPrefix "data-", which a custom endpoint cannot resolve.
  return new SignerClient({ endpoint: values.endpoint, region, disableHostPrefix: true, maxAttempts: 2, ...(credentials ? { credentials } : {}) });
}

/** Walks from `leaf` to the last issuer found among `certificates` (the root a verifier must trust). */
function chainTop(leaf: X509Certificate, certificates: Uint8Array[]): X509Certificate {
  const pool = certificates.map((c) => new X509Certificate(Buffer.from(c)));
  let current = leaf;
  for (let depth = 0; depth < 10; depth++) {
    const issuer = pool.find((c) => !c.raw.equals(current.raw) && current.checkIssued(c));
    if (issuer === undefined) break;
    current = issuer;
  }
  return current;
}

/** The leaf: the certificate that issued none of the others. */
function isLeaf(c: Uint8Array, all: Uint8Array[]): boolean {
  const x = new X509Certificate(Buffer.from(c));
  return !all.some((o) => o !== c && new X509Certificate(Buffer.from(o)).checkIssued(x));
}

/** GetRevocationStatus certificate hash: hex(SHA-384(leaf TBS)) ‖ hex(SHA-384(issuer TBS)). */
function certificateHash(leaf: X509Certificate, certificates: Uint8Array[]): string {
  const issuer = certificates.map((c) => new X509Certificate(Buffer.from(c))).find((c) => !c.raw.equals(leaf.raw) && leaf.checkIssued(c)) ?? leaf;
  const tbs = (der: Buffer) => {
    const cert = readTlv(der, 0);
    return der.subarray(cert.contentStart, cert.contentStart + readTlv(der, cert.contentStart).total);
  };
  return [leaf, issuer].map((c) => createHash('sha384').update(tbs(c.raw)).digest('hex')).join('');
}

/** Certificates of a `--trusted-root` file: PEM (one or more) or one DER certificate. */
function certificatesIn(bytes: Uint8Array, name: string): Uint8Array[] {
  const text = Buffer.from(bytes).toString('latin1');
  const pems = [...text.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g)].map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
  const ders = pems.length > 0 ? pems : [bytes];
  for (const d of ders) {
    try {
      new X509Certificate(Buffer.from(d));
    } catch {
      throw new Error(`${name}: not a PEM or DER X.509 certificate`);
    }
  }
  return ders;
}

interface Tlv {
  tag: number;
  contentStart: number;
  length: number;
  total: number;
}

/** One DER TLV at `offset` (definite lengths only). */
function readTlv(b: Uint8Array, offset: number): Tlv {
  if (offset + 2 > b.length) throw new Error('truncated DER');
  const tag = b[offset]!;
  let len = b[offset + 1]!;
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > b.length) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  if (start + len > b.length) throw new Error('truncated DER');
  return { tag, contentStart: start, length: len, total: start + len - offset };
}

function childrenOf(b: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let o = parent.contentStart; o < parent.contentStart + parent.length; ) {
    const c = readTlv(b, o);
    out.push(c);
    o += c.total;
  }
  return out;
}

/** The certificates ([0] IMPLICIT SET) of a PEM PKCS#7 SignedData, as their original DER bytes. */
function pkcs7Certificates(sf: Uint8Array): Uint8Array[] {
  const m = /-----BEGIN PKCS7-----([A-Za-z0-9+/=\s]+?)-----END PKCS7-----/.exec(Buffer.from(sf).toString('latin1'));
  if (!m) throw new Error('the signature entry is not a PEM PKCS7 block');
  const der = new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  const contentInfo = readTlv(der, 0);
  const explicit = childrenOf(der, contentInfo)[1];
  if (explicit?.tag !== 0xa0) throw new Error('PKCS7 ContentInfo has no content');
  const signedData = readTlv(der, explicit.contentStart);
  const set = childrenOf(der, signedData).find((c) => c.tag === 0xa0);
  if (set === undefined) throw new Error('the signature carries no certificates');
  const certs = childrenOf(der, set).map((c) => der.slice(c.contentStart - (c.total - c.length), c.contentStart + c.length));
  if (certs.length === 0) throw new Error('the signature carries no certificates');
  return certs;
}
