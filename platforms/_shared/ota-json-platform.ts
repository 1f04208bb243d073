import {
  PlatformInputError,
  type HashAlgorithm,
  type PlatformDescriptorFile,
  type PlatformModule,
  type SignRequest,
  type SignedArtifact,
} from '../platform.types.js';
import { base64Stream } from './base64-stream.js';
import { digestStream, replayVerified } from './hash.js';
import { checkRequest, checkSourceSize } from './request-checks.js';

/** Signed-object formats of the AWS IoT platforms (Signer API `ImageFormat`). */
export const IMAGE_FORMAT = Object.freeze({ embedded: 'JSONEmbedded', detached: 'JSONDetached' });

/** `Content-Type` of the JSON signed objects. */
export const SIGNED_JSON_CONTENT_TYPE = 'application/json';

/**
 * The key a FreeRTOS OTA job document carries the base64 signature under: `sig-<hash>-<algorithm>`,
 * e.g. `sig-sha256-ecdsa`, `sig-sha1-rsa` (the device PAL's `OTA_JsonFileSignatureKey`).
 */
export function otaSignatureKey(hash: HashAlgorithm, encryptionAlgorithm: string): string {
  return `sig-${hash.toLowerCase()}-${encryptionAlgorithm.toLowerCase()}`;
}

/** Java-style algorithm name the signed object records, e.g. `SHA256withECDSA`, `SHA1withRSA`. */
export function signatureAlgorithmName(hash: HashAlgorithm, encryptionAlgorithm: string): string {
  return `${hash}with${encryptionAlgorithm}`;
}

/** Who signed what: the `metadata` member of a JSON signed object. */
export interface SignedJsonMetadata {
  platformId: string;
  signingJobArn: string;
  jobId: string;
  signingProfileName: string;
  signingProfileVersion: string;
  signingProfileVersionArn: string;
  /** ISO 8601. */
  signedAt: string;
  /** Job document key for {@link SignedJsonHeader.signature}, e.g. `sig-sha256-ecdsa`. */
  otaSignatureKey: string;
  /** The `certname` signing parameter (path of the signer certificate on the device), when given. */
  certname?: string;
  /** The signer's certificate chain, leaf first, base64 DER (empty when the key has none). */
  certificateChain: string[];
}

/**
 * Everything of a JSON signed object except `payload`, in the order it is written: the
 * signature and metadata come first so a consumer can read them from the head of a large object.
 */
export interface SignedJsonHeader {
  /** Size in bytes of the signed file. */
  rawPayloadSize: number;
  signatureAlgorithm: string;
  /** Base64 of the raw signature (DER for ECDSA, PKCS#1 v1.5 block for RSA). */
  signature: string;
  /** JSONDetached only: hash name and base64 digest of the signed file. */
  digestAlgorithm?: HashAlgorithm;
  digest?: string;
  metadata: SignedJsonMetadata;
}

/**
 * A platform that signs a whole file (FreeRTOS OTA style: the signature travels out of band in
 * the job document) and writes the JSONEmbedded / JSONDetached signed object.
 * Pass 1 hashes the source; JSONEmbedded reads it a second time to embed it as streamed base64.
 */
export function createOtaJsonPlatform(descriptor: PlatformDescriptorFile): PlatformModule {
  return {
    async sign(request: SignRequest): Promise<SignedArtifact> {
      const params = checkRequest(descriptor, request);
      checkSourceSize(descriptor, request.sourceSize);
      const { hashAlgorithm: hash, encryptionAlgorithm: algorithm, sourceSize } = request;
      const digest = await digestStream(request.openSource(), hash, sourceSize);
      const signature = await request.key.signDigest(digest, algorithm === 'RSA' ? { hash, rsaPadding: 'pkcs1' } : { hash });
      if (signature.length === 0) throw new Error('key backend returned an empty signature');
      const metadata: SignedJsonMetadata = {
        platformId: descriptor.platformId,
        signingJobArn: request.job.jobArn,
        jobId: request.job.jobId,
        signingProfileName: request.job.profileName,
        signingProfileVersion: request.job.profileVersion,
        signingProfileVersionArn: request.job.profileVersionArn,
        signedAt: request.job.createdAt.toISOString(),
        otaSignatureKey: otaSignatureKey(hash, algorithm),
        ...(params['certname'] !== undefined ? { certname: params['certname'] } : {}),
        certificateChain: request.key.certificateChain.map((der) => Buffer.from(der).toString('base64')),
      };
      const header: SignedJsonHeader = {
        rawPayloadSize: sourceSize,
        signatureAlgorithm: signatureAlgorithmName(hash, algorithm),
        signature: Buffer.from(signature).toString('base64'),
        ...(request.imageFormat === IMAGE_FORMAT.detached
          ? { digestAlgorithm: hash, digest: Buffer.from(digest).toString('base64') }
          : {}),
        metadata,
      };
      const embedded = request.imageFormat === IMAGE_FORMAT.embedded;
      return {
        extension: '',
        contentType: SIGNED_JSON_CONTENT_TYPE,
        rawSignature: signature,
        body: embedded
          ? () => embeddedBody(header, replayVerified(request.openSource(), hash, digest, sourceSize))
          : async function* () {
              yield Buffer.from(JSON.stringify(header), 'utf8');
            },
      };
    },
  };
}

/** `{…header, "payload":"<base64>"}` with the payload base64-encoded chunk by chunk. */
async function* embeddedBody(header: SignedJsonHeader, source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const head = JSON.stringify(header);
  yield Buffer.from(`${head.slice(0, -1)},"payload":"`, 'utf8');
  yield* base64Stream(source);
  yield Buffer.from('"}', 'utf8');
}

/**
 * Reads the signature back out of a JSON signed object (both formats): what an OTA job creator does
 * with Signer's output. Takes the whole object; for a large JSONEmbedded object parse the head only.
 * @throws PlatformInputError when the object is not a signed object of these platforms.
 */
export function readSignedJson(text: string): { header: SignedJsonHeader; signature: Uint8Array; payload?: Uint8Array } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PlatformInputError('signed object is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new PlatformInputError('signed object is not a JSON object');
  const o = parsed as Record<string, unknown>;
  if (typeof o['signature'] !== 'string' || typeof o['signatureAlgorithm'] !== 'string' || typeof o['rawPayloadSize'] !== 'number') {
    throw new PlatformInputError('signed object lacks signature, signatureAlgorithm or rawPayloadSize');
  }
  const { payload, ...header } = o;
  return {
    header: header as unknown as SignedJsonHeader,
    signature: new Uint8Array(Buffer.from(o['signature'], 'base64')),
    ...(typeof payload === 'string' ? { payload: new Uint8Array(Buffer.from(payload, 'base64')) } : {}),
  };
}
