import { createHash } from 'node:crypto';
import { p384 } from '@noble/curves/nist.js';
import {
  PlatformInputError,
  type PlatformDescriptorFile,
  type PlatformModule,
  type SignPayloadRequest,
  type SignPayloadResult,
  type SignedArtifact,
} from '../platform.types.js';
import { checkKeyType, MIB } from '../_shared/index.js';
import descriptorJson from './descriptor.json' with { type: 'json' };
import { HEADER, METADATA, NOTARY_PAYLOAD_MEDIA_TYPE, SIGNING_AGENT, base64url, protectedHeader, type JwsEnvelope } from './notary-jws.js';

export * as notaryJws from './notary-jws.js';

const descriptor = descriptorJson as PlatformDescriptorFile;

/** OCI descriptor digest syntax (OCI image-spec `descriptor.md`). */
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/**
 * `Notation-OCI-SHA384-ECDSA`: SignPayload returns a Notary Project JWS envelope (ES384, x5c chain,
 * `notary.x509.signingAuthority`) over the Notation payload; metadata names the profile version and job.
 * StartSigningJob is not supported.
 */
const platform: PlatformModule = {
  async sign(): Promise<SignedArtifact> {
    throw new PlatformInputError('Notation-OCI-SHA384-ECDSA signs with SignPayload only; signing jobs are not supported for this platform');
  },

  async signPayload(request: SignPayloadRequest): Promise<SignPayloadResult> {
    if (request.payloadFormat !== NOTARY_PAYLOAD_MEDIA_TYPE) {
      throw new PlatformInputError(`payloadFormat must be ${NOTARY_PAYLOAD_MEDIA_TYPE}, not ${request.payloadFormat}`);
    }
    checkPayload(request.payload);
    const { key, job } = request;
    checkKeyType(descriptor, 'ECDSA', key.keyType);
    if (key.certificateChain.length === 0) {
      throw new PlatformInputError('Notation signatures carry the certificate chain (x5c), but the signing key has no certificate');
    }
    const protectedB64 = base64url(JSON.stringify(protectedHeader({
      signedAt: job.createdAt,
      expiresAt: job.signatureExpiresAt,
      profileVersionArn: job.profileVersionArn,
      jobArn: job.jobArn,
    })));
    const payloadB64 = base64url(request.payload);
    // [RFC 7515 §5.1] signing input = ASCII(BASE64URL(protected) '.' BASE64URL(payload))
    const digest = createHash('sha384').update(`${protectedB64}.${payloadB64}`, 'ascii').digest();
    const der = await key.signDigest(new Uint8Array(digest), { hash: 'SHA384' });
    // [RFC 7518 §3.4] ES384 signatures are R ‖ S, 48 bytes each, not DER
    const rs = p384.Signature.fromBytes(der, 'der').toBytes('compact');
    const envelope: JwsEnvelope = {
      payload: payloadB64,
      protected: protectedB64,
      header: { x5c: key.certificateChain.map((c) => Buffer.from(c).toString('base64')), [HEADER.signingAgent]: SIGNING_AGENT },
      signature: base64url(rs),
    };
    return {
      signature: new Uint8Array(Buffer.from(JSON.stringify(envelope), 'utf8')),
      metadata: { [METADATA.signingProfileVersionArn]: job.profileVersionArn, [METADATA.signingJobArn]: job.jobArn },
    };
  },
};
export default platform;

/** The payload must be a Notary Project payload: `{"targetArtifact": {mediaType, digest, size, …}}`. */
function checkPayload(payload: Uint8Array): void {
  if (payload.length === 0) throw new PlatformInputError('payload is empty');
  if (payload.length > descriptor.maxSizeInMB * MIB) throw new PlatformInputError(`payload is ${payload.length} bytes; at most ${descriptor.maxSizeInMB} MB`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw new PlatformInputError('payload is not UTF-8 JSON');
  }
  const target = (parsed as { targetArtifact?: unknown } | null)?.targetArtifact as Record<string, unknown> | undefined;
  if (typeof target !== 'object' || target === null) throw new PlatformInputError('payload has no targetArtifact object');
  if (typeof target['mediaType'] !== 'string' || target['mediaType'] === '') throw new PlatformInputError('targetArtifact.mediaType must be a non-empty string');
  if (typeof target['digest'] !== 'string' || !DIGEST.test(target['digest'])) throw new PlatformInputError('targetArtifact.digest must be an OCI digest like sha256:<hex>');
  if (typeof target['size'] !== 'number' || !Number.isSafeInteger(target['size']) || target['size'] < 0) {
    throw new PlatformInputError('targetArtifact.size must be a non-negative integer');
  }
}
