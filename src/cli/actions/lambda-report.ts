/**
 * `signer verify --format lambda-zip --mode Warn|Enforce`: the checks Lambda runs when a function has a
 * code signing configuration ("Configuring code signing for Lambda"), as a report:
 *
 * - integrity: the package was not modified since it was signed (the CMS signature over the entries
 *   verifies, with the package's own chain as the anchor). Not governed by the policy: a package that
 *   fails it is always blocked;
 * - expiry: the signature has not expired at `--at` (default now);
 * - mismatch: signed by a profile version in `--allowed-profile-version-arn`, with a chain that ends in a
 *   `--root` / `--trusted-root`;
 * - revocation: neither the job nor the profile version is revoked (GetRevocationStatus on a running
 *   server: `--data-dir` or `--endpoint`; otherwise skipped with a note).
 *
 * Every cryptographic check is firmware-verifier's `lambda-zip` format (the device-side verifier), run
 * with the anchor and instant each check needs. The signature entry is only read here (with fflate and
 * the @peculiar ASN.1 schemas) for what the report prints and the revocation query needs.
 * `Warn` prints failed checks as warnings and exits 0; `Enforce` exits 1; integrity failures exit 1 always.
 */
import '../../sdk/quiet-node-warning.js';
import { X509Certificate, createHash } from 'node:crypto';
import { unzipSync } from 'fflate';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { Certificate, DirectoryString, Time } from '@peculiar/asn1-x509';
import { LAMBDA, createTrustStore, verify, type VerifyResult } from '../../../firmware-verifier/index.js';
import { readInput, UsageError, type CliIo } from '../io.js';

const PLATFORM_ID = 'AWSLambda-SHA384-ECDSA';

export interface LambdaReportOptions {
  roots: string[];
  allowed: string[];
  mode: 'Warn' | 'Enforce';
  at?: Date;
  dataDir?: string;
  endpoint?: string;
  region?: string;
  maxSize?: number;
}

type Check = 'integrity' | 'expiry' | 'mismatch' | 'revocation';

interface Claims {
  jobArn: string;
  profileVersionArn: string;
  signingTime: Date;
  expiresAt: Date;
  /** DER of the certificates the signature carries. */
  certificates: Uint8Array[];
}

/** Certificates of a `--root` file: PEM (one or more) or one DER certificate. */
function certificatesIn(bytes: Uint8Array, name: string): Uint8Array[] {
  const text = Buffer.from(bytes).toString('latin1');
  const pems = [...text.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g)].map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
  const ders = pems.length > 0 ? pems : [bytes];
  for (const d of ders) {
    try {
      new X509Certificate(Buffer.from(d));
    } catch {
      throw new UsageError(`${name}: not a PEM or DER X.509 certificate`);
    }
  }
  return ders;
}

/** Reads (does not verify) the claims and certificates of the PEM PKCS#7 signature entry. */
function readClaims(entry: Uint8Array): Claims {
  const m = /-----BEGIN PKCS7-----([A-Za-z0-9+/=\s]+?)-----END PKCS7-----/.exec(Buffer.from(entry).toString('latin1'));
  if (!m) throw new Error('the signature entry is not a PEM PKCS7 block');
  const info = AsnConvert.parse(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'), ContentInfo);
  const signed = AsnConvert.parse(info.content, SignedData);
  const attrs = signed.signerInfos[0]?.signedAttrs ?? [];
  const value = (oid: string) => {
    const v = attrs.find((a) => a.attrType === oid)?.attrValues[0];
    if (v === undefined) throw new Error(`no signed attribute ${oid}`);
    return v;
  };
  const text = (oid: string) => AsnConvert.parse(value(oid), DirectoryString).utf8String ?? '';
  const certificates = (signed.certificates ?? []).flatMap((c) => (c.certificate ? [new Uint8Array(AsnConvert.serialize(c.certificate))] : []));
  if (certificates.length === 0) throw new Error('the signature carries no certificates');
  return {
    jobArn: text(LAMBDA.OID_SIGNING_JOB_ARN),
    profileVersionArn: text(LAMBDA.OID_PROFILE_VERSION_ARN),
    signingTime: AsnConvert.parse(value(LAMBDA.OID_SIGNING_TIME), Time).getTime(),
    expiresAt: AsnConvert.parse(value(LAMBDA.OID_SIGNATURE_EXPIRY), Time).getTime(),
    certificates,
  };
}

const x509 = (der: Uint8Array) => new X509Certificate(Buffer.from(der));

/** The leaf: the certificate that issued none of the others. */
function leafOf(certs: X509Certificate[]): X509Certificate {
  return certs.find((c) => !certs.some((o) => o !== c && !o.raw.equals(c.raw) && o.checkIssued(c))) ?? certs[0]!;
}

/** Walks from `leaf` to the last issuer among `certs` (the root a verifier must trust). */
function chainTop(leaf: X509Certificate, certs: X509Certificate[]): X509Certificate {
  let current = leaf;
  for (let depth = 0; depth < 10; depth++) {
    const issuer = certs.find((c) => !c.raw.equals(current.raw) && current.checkIssued(c));
    if (issuer === undefined) break;
    current = issuer;
  }
  return current;
}

/** GetRevocationStatus certificate hash: hex(SHA-384(leaf TBS)) ‖ hex(SHA-384(issuer TBS)). */
function certificateHash(leaf: X509Certificate, certs: X509Certificate[]): string {
  const issuer = certs.find((c) => !c.raw.equals(leaf.raw) && leaf.checkIssued(c)) ?? leaf;
  const tbs = (c: X509Certificate) => Buffer.from(AsnConvert.serialize(AsnConvert.parse(c.raw, Certificate).tbsCertificate));
  return [leaf, issuer].map((c) => createHash('sha384').update(tbs(c)).digest('hex')).join('');
}

/** firmware-verifier's lambda-zip verification with these anchors at this instant. */
function check(zip: Uint8Array, roots: Uint8Array[], at: Date, maxSize: number | undefined, allowed?: string[]): VerifyResult {
  return verify(zip, 'lambda-zip', createTrustStore({ roots }), {
    at,
    ...(maxSize === undefined ? {} : { maxImageSize: maxSize }),
    ...(allowed === undefined ? {} : { allowedProfileVersionArns: allowed }),
  });
}

async function revocationClient(io: CliIo, o: LambdaReportOptions) {
  const { SignerClient } = await import('@aws-sdk/client-signer');
  if (o.dataDir !== undefined) return (await import('../client-context.js')).clientContext(o.dataDir).signer;
  const env = io.env;
  const region = o.region ?? env.AWS_REGION ?? 'us-east-1';
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
      : undefined;
  // GetRevocationStatus has hostPrefix "data-", which a custom endpoint cannot resolve.
  return new SignerClient({ endpoint: o.endpoint, region, disableHostPrefix: true, maxAttempts: 2, ...(credentials ? { credentials } : {}) });
}

/** Prints the report; returns the exit code (0 deployable, 1 blocked). Usage errors throw UsageError. */
export async function runLambdaReport(io: CliIo, path: string, o: LambdaReportOptions): Promise<number> {
  if (o.dataDir !== undefined && o.endpoint !== undefined) throw new UsageError('give --data-dir or --endpoint, not both');
  const zip = await readInput(io, path, 'PACKAGE');
  const roots: Uint8Array[] = [];
  for (const f of o.roots) roots.push(...certificatesIn(await readInput(io, f, '--root'), f));
  const at = o.at ?? new Date();

  const failed = new Map<Check, string>();
  const line = (c: Check, status: 'OK' | 'FAIL' | 'SKIPPED', text: string) => {
    io.stdout(`${c}: ${status}${text ? ` — ${text}` : ''}\n`);
    if (status === 'FAIL') failed.set(c, text);
  };
  const finish = (): number => {
    for (const [c, text] of failed) io.stderr(`warning: ${c} check failed: ${text}\n`);
    if (failed.has('integrity')) return (io.stdout('result: BLOCKED (integrity failures block deployment in every mode)\n'), 1);
    if (failed.size === 0) return (io.stdout('result: deployable\n'), 0);
    if (o.mode === 'Enforce') return (io.stdout(`result: BLOCKED (Enforce: ${[...failed.keys()].join(', ')})\n`), 1);
    return (io.stdout(`result: deployable with warnings (Warn: ${[...failed.keys()].join(', ')})\n`), 0);
  };

  let claims: Claims;
  try {
    const entry = unzipSync(zip, { filter: (f) => f.name === LAMBDA.SIGNATURE_ENTRY })[LAMBDA.SIGNATURE_ENTRY];
    if (entry === undefined) {
      line('integrity', 'SKIPPED', 'the package is not signed');
      line('expiry', 'SKIPPED', '');
      line('mismatch', 'FAIL', `the package is not signed (no ${LAMBDA.SIGNATURE_ENTRY})`);
      line('revocation', 'SKIPPED', '');
      return finish();
    }
    claims = readClaims(entry);
  } catch (e) {
    line('integrity', 'FAIL', `not a readable signed zip: ${(e as Error).message}`);
    return finish();
  }
  const certs = claims.certificates.map(x509);
  const leaf = leafOf(certs);
  const top = chainTop(leaf, certs);

  // Integrity: the package's own chain as the anchor, at the signing time (who signed is "mismatch").
  const integrity = check(zip, [new Uint8Array(top.raw)], claims.signingTime, o.maxSize);
  if (!integrity.ok) {
    line('integrity', 'FAIL', `${integrity.reason}: ${integrity.detail}`);
    return finish();
  }
  line('integrity', 'OK', `signed ${claims.signingTime.toISOString()} by job ${claims.jobArn}`);

  const expiry = check(zip, [new Uint8Array(top.raw)], at, o.maxSize);
  if (!expiry.ok && expiry.reason === 'Expired') line('expiry', 'FAIL', `the signature expired at ${claims.expiresAt.toISOString()}`);
  else line('expiry', 'OK', `valid until ${claims.expiresAt.toISOString()}`);

  // Mismatch: who signed. The profile version ARN is only as trustworthy as the chain behind it.
  const problems: string[] = [];
  let anchored = false;
  if (roots.length > 0) {
    const trusted = check(zip, roots, claims.signingTime, o.maxSize);
    if (trusted.ok) anchored = true;
    else if (trusted.reason === 'UntrustedCertificate') problems.push('the signer is not trusted: certificate chain does not reach a trusted root');
    else problems.push(`the signer is not trusted: ${trusted.reason}: ${trusted.detail}`);
  }
  if (o.allowed.length > 0) {
    const allowed = check(zip, [new Uint8Array(top.raw)], claims.signingTime, o.maxSize, o.allowed);
    if (!allowed.ok && allowed.reason === 'UntrustedSigner') problems.push(`profile version ${claims.profileVersionArn} is not an allowed publisher`);
    if (roots.length === 0) problems.push('no --trusted-root: the signer certificate (and so the profile version it claims) is unverified');
  }
  if (problems.length > 0) line('mismatch', 'FAIL', problems.join('; '));
  else if (o.allowed.length === 0) line('mismatch', 'SKIPPED', `no --allowed-profile-version-arn given (signed by ${claims.profileVersionArn}${anchored ? ', chain trusted' : ''})`);
  else line('mismatch', 'OK', `${claims.profileVersionArn}${anchored ? ', chain ends in a trusted root' : ''}`);
  if (roots.length === 0) {
    io.stderr(`note: the package's chain ends at "${top.subject.replace(/\n/g, ', ')}" (SHA-256 ${top.fingerprint256}); pass it as --trusted-root once you trust it.\n`);
  }

  // Revocation: the server that signed knows.
  if (o.dataDir === undefined && o.endpoint === undefined) {
    line('revocation', 'SKIPPED', 'no --data-dir or --endpoint: revocation was not checked');
  } else {
    try {
      const { GetRevocationStatusCommand } = await import('@aws-sdk/client-signer');
      const client = await revocationClient(io, o);
      const out = await client.send(
        new GetRevocationStatusCommand({
          signatureTimestamp: claims.signingTime,
          platformId: PLATFORM_ID,
          profileVersionArn: claims.profileVersionArn,
          jobArn: claims.jobArn,
          certificateHashes: [certificateHash(leaf, certs)],
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
