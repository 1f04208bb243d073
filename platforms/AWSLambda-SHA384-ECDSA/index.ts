import { X509Certificate, createHash, createPublicKey } from 'node:crypto';
import {
  PlatformInputError,
  type PlatformDescriptorFile,
  type PlatformModule,
  type SignRequest,
  type SignedArtifact,
} from '../platform.types.js';
import { checkRequest, checkSourceSize } from '../_shared/index.js';
import descriptorJson from './descriptor.json' with { type: 'json' };
import { SIGNATURE_DIRECTORY, SIGNATURE_ENTRY, encodeSignedAttributes, encodeSignedData, toPem } from './lambda-cms.js';
import { MAX_UNZIPPED_BYTES, digestEntries, readZipIndex } from './zip-stream.js';

export { MAX_UNZIPPED_BYTES } from './zip-stream.js';
import { ZIP64_MARKER_16, ZipFormatError, buildEndOfCentralDirectory, buildEntry } from './zip-format.js';

export { verifySignedLambdaZip, type LambdaVerifyResult, type LambdaVerifyOptions } from './verify.js';
export { SIGNATURE_ENTRY, SIGNATURE_DIRECTORY, OID as LAMBDA_SIGNATURE_OIDS, type LambdaClaims } from './lambda-cms.js';

const descriptor = descriptorJson as PlatformDescriptorFile;

/**
 * `AWSLambda-SHA384-ECDSA`: the source zip with a signature entry appended — `META_INF/` (if absent)
 * and `META_INF/aws_signer_signature_v1.0.SF`, a PEM detached CMS signature (ECDSA P-384 / SHA-384)
 * over the hash of all entries, whose signed attributes carry the job ARN, profile version ARN and expiry.
 * Original entries are copied byte for byte; only the central directory is rewritten. Three streaming
 * passes: index (tail), digest, output. Output `<jobId>.zip`.
 */
const platform: PlatformModule = {
  async sign(request: SignRequest): Promise<SignedArtifact> {
    checkRequest(descriptor, request);
    checkSourceSize(descriptor, request.sourceSize);
    const chain = request.key.certificateChain;
    const leaf = chain[0];
    if (leaf === undefined) {
      throw new PlatformInputError(
        'AWSLambda-SHA384-ECDSA signatures carry the signer certificate chain, but the signing key has no certificate',
      );
    }
    const leafKey = new X509Certificate(Buffer.from(leaf)).publicKey.export({ type: 'spki', format: 'der' });
    const ownKey = createPublicKey({ key: Buffer.from(request.key.publicKeySpki), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'der' });
    if (!leafKey.equals(ownKey)) throw new Error('the first certificate of the signing key chain does not hold the signing key');

    const { index, digest } = await zipInput(request);
    const hasDirectory = digest.names.includes(SIGNATURE_DIRECTORY);
    const claims = {
      signingJobArn: request.job.jobArn,
      signingProfileVersionArn: request.job.profileVersionArn,
      signingTime: request.job.createdAt,
      signatureExpiresAt: request.job.signatureExpiresAt,
    };
    const signedAttributes = encodeSignedAttributes(digest.contentDigest, claims);
    const signature = await request.key.signDigest(new Uint8Array(createHash('sha384').update(signedAttributes).digest()), { hash: 'SHA384' });
    const pem = toPem(encodeSignedData(signedAttributes, signature, chain));

    let offset = index.eocd.cdOffset;
    const added = [];
    if (!hasDirectory) {
      const dir = buildEntry(SIGNATURE_DIRECTORY, new Uint8Array(0), offset, request.job.createdAt);
      added.push(dir);
      offset += dir.local.length;
    }
    const sf = buildEntry(SIGNATURE_ENTRY, Buffer.from(pem, 'latin1'), offset, request.job.createdAt);
    added.push(sf);
    offset += sf.local.length;
    const count = index.entries.length + added.length;
    if (count >= ZIP64_MARKER_16) throw new PlatformInputError('zip file has too many entries to add a signature without ZIP64');
    const centralSize = index.centralDirectory.length + added.reduce((n, e) => n + e.central.length, 0);
    const tail = [...added.map((e) => e.local), index.centralDirectory, ...added.map((e) => e.central), buildEndOfCentralDirectory(count, centralSize, offset, index.eocd.comment)];
    const copyEnd = index.eocd.cdOffset;

    return {
      extension: '.zip',
      contentType: 'application/zip',
      rawSignature: signature,
      async *body() {
        const h = createHash('sha256');
        let read = 0;
        for await (const chunk of request.openSource()) {
          h.update(chunk);
          if (read < copyEnd) yield chunk.subarray(0, Math.min(chunk.length, copyEnd - read));
          read += chunk.length;
        }
        if (read !== request.sourceSize || !h.digest().equals(Buffer.from(digest.archiveSha256))) {
          throw new Error('source object changed between the signing pass and the output pass');
        }
        yield* tail;
      },
    };
  },
};
export default platform;

/** Passes 1 and 2 over the source, with zip errors turned into PlatformInputError (job statusReason). */
async function zipInput(request: SignRequest) {
  try {
    const index = await readZipIndex(request.openSource(), request.sourceSize);
    if (index.entries.length === 0) throw new PlatformInputError('zip file is empty: it has no entries to sign');
    if (index.entries.some((e) => Buffer.from(e.name).toString('utf8') === SIGNATURE_ENTRY)) {
      throw new PlatformInputError(`zip file is already signed (it contains ${SIGNATURE_ENTRY})`);
    }
    const hasDirectory = index.entries.some((e) => Buffer.from(e.name).toString('utf8') === SIGNATURE_DIRECTORY);
    const digest = await digestEntries(request.openSource(), index, {
      maxExpanded: MAX_UNZIPPED_BYTES,
      appendNames: hasDirectory ? [] : [SIGNATURE_DIRECTORY],
    });
    return { index, digest };
  } catch (e) {
    if (e instanceof ZipFormatError) throw new PlatformInputError(`malformed zip file: ${e.message}`);
    throw e;
  }
}
