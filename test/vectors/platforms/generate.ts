/**
 * Regenerates the signed objects in this folder with the platforms' own code (run from the repository root:
 * `node --import tsx test/vectors/platforms/generate.ts`). They are fixtures for the device side and the
 * `signer verify-*` commands; test/platforms-vectors.test.ts checks them with openssl and checks that the
 * deterministic ones (RSA PKCS#1 v1.5, no randomness) still come out byte for byte.
 * ALL KEYS USED HERE ARE PUBLISHED OR GENERATED TEST KEYS: never use them for anything real.
 */
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import freertos from '../../../platforms/AmazonFreeRTOS-Default/index.js';
import freertosDescriptor from '../../../platforms/AmazonFreeRTOS-Default/descriptor.json' with { type: 'json' };
import iotdm from '../../../platforms/AWSIoTDeviceManagement-SHA256-ECDSA/index.js';
import iotdmDescriptor from '../../../platforms/AWSIoTDeviceManagement-SHA256-ECDSA/descriptor.json' with { type: 'json' };
import ti from '../../../platforms/AmazonFreeRTOS-TI-CC3220SF/index.js';
import tiDescriptor from '../../../platforms/AmazonFreeRTOS-TI-CC3220SF/descriptor.json' with { type: 'json' };
import lambda from '../../../platforms/AWSLambda-SHA384-ECDSA/index.js';
import lambdaDescriptor from '../../../platforms/AWSLambda-SHA384-ECDSA/descriptor.json' with { type: 'json' };
import notation from '../../../platforms/Notation-OCI-SHA384-ECDSA/index.js';
import type { PlatformDescriptorFile, PlatformModule, SignRequest, SigningKey } from '../../../platforms/platform.types.js';
import { issueTestChain, localSigningKey, pemToDer } from '../../support/local-signing-key.js';

const here = (name: string) => new URL(name, import.meta.url);
const ota = JSON.parse(readFileSync(new URL('../ota/signature-vectors.json', import.meta.url), 'utf8')) as {
  message: { hex: string };
  vectors: { jobDocumentKey: string; signerCertificatePem: string; testPrivateKeyPem_PUBLIC_TEST_KEY_ONLY: string }[];
};
const published = (k: string) => ota.vectors.find((v) => v.jobDocumentKey === k)!;
const MESSAGE = Buffer.from(ota.message.hex, 'hex');

/** Fixed job identity so reruns give the same bytes where the algorithm is deterministic. */
export const VECTOR_JOB: SignRequest['job'] = {
  jobId: '0f0e0d0c-0b0a-4908-8706-050403020100',
  jobArn: 'arn:aws:signer:us-east-1:123456789012:/signing-jobs/0f0e0d0c-0b0a-4908-8706-050403020100',
  profileName: 'vector_profile',
  profileVersion: 'V3ct0rV3r1',
  profileVersionArn: 'arn:aws:signer:us-east-1:123456789012:/signing-profiles/vector_profile/V3ct0rV3r1',
  platformId: '',
  createdAt: new Date('2026-11-24T00:00:00.000Z'),
  signatureExpiresAt: new Date('2037-11-24T00:00:00.000Z'),
};

/** Signs `bytes` and returns the signed object. */
export async function signWith(module: PlatformModule, d: PlatformDescriptorFile, bytes: Uint8Array, key: SigningKey, over: Partial<SignRequest> = {}): Promise<Buffer> {
  const artifact = await module.sign({
    openSource: async function* () {
      yield bytes;
    },
    sourceSize: bytes.length,
    sourceKey: 'firmware.bin',
    key,
    encryptionAlgorithm: d.signingConfiguration.encryptionAlgorithmOptions.defaultValue,
    hashAlgorithm: d.signingConfiguration.hashAlgorithmOptions.defaultValue as SignRequest['hashAlgorithm'],
    imageFormat: d.signingImageFormat.defaultFormat,
    signingParameters: {},
    job: { ...VECTOR_JOB, platformId: d.platformId },
    ...over,
  });
  const parts: Buffer[] = [];
  for await (const c of artifact.body()) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** The deterministic vectors: recomputed by the test and compared byte for byte. */
export async function deterministicVectors(): Promise<Record<string, Buffer>> {
  const rsa256 = published('sig-sha256-rsa');
  const rsa1 = published('sig-sha1-rsa');
  return {
    'freertos-default-rsa.signed.json': await signWith(freertos, freertosDescriptor as PlatformDescriptorFile, MESSAGE,
      localSigningKey(rsa256.testPrivateKeyPem_PUBLIC_TEST_KEY_ONLY, [pemToDer(rsa256.signerCertificatePem)]),
      { encryptionAlgorithm: 'RSA', signingParameters: { certname: 'rsa-sha256-signer.crt.pem' } }),
    'ti-cc3220sf.signed.json': await signWith(ti, tiDescriptor as PlatformDescriptorFile, MESSAGE,
      localSigningKey(rsa1.testPrivateKeyPem_PUBLIC_TEST_KEY_ONLY, [pemToDer(rsa1.signerCertificatePem)]),
      { signingParameters: { certname: '/cert/ota-signer.der' } }),
  };
}

async function main(): Promise<void> {
  const files: Record<string, Buffer> = await deterministicVectors();
  const ecdsa = published('sig-sha256-ecdsa');
  const ecKey = localSigningKey(ecdsa.testPrivateKeyPem_PUBLIC_TEST_KEY_ONLY, [pemToDer(ecdsa.signerCertificatePem)]);
  files['freertos-default-ecdsa.signed.json'] = await signWith(freertos, freertosDescriptor as PlatformDescriptorFile, MESSAGE, ecKey, { signingParameters: { certname: 'ecdsa-sha256-signer.crt.pem' } });
  files['iot-dm-ecdsa.detached.json'] = await signWith(iotdm, iotdmDescriptor as PlatformDescriptorFile, MESSAGE, ecKey);

  // Lambda / Notation: a generated P-384 key and test chain, kept so the fixtures can be re-verified
  if (!existsSync(here('p384-signer.key.pem'))) {
    const { generateKeyPairSync } = await import('node:crypto');
    const keyObject = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    const chain = issueTestChain(keyObject, '/CN=platform vectors test signer');
    writeFileSync(here('p384-signer.key.pem'), String(keyObject.export({ type: 'pkcs8', format: 'pem' })));
    writeFileSync(here('p384-signer.crt.pem'), chain.leafPem);
    writeFileSync(here('p384-root.crt.pem'), chain.rootPem);
  }
  const p384 = localSigningKey(createPrivateKey(readFileSync(here('p384-signer.key.pem'), 'utf8')), [
    pemToDer(readFileSync(here('p384-signer.crt.pem'), 'utf8')),
    pemToDer(readFileSync(here('p384-root.crt.pem'), 'utf8')),
  ]);
  // sign inside the test chain's validity (its certificates start when generated)
  const leafFrom = new Date(new X509Certificate(readFileSync(here('p384-signer.crt.pem'))).validFrom);
  const chainJob = { ...VECTOR_JOB, createdAt: new Date(Math.max(VECTOR_JOB.createdAt.getTime(), leafFrom.getTime() + 60_000)) };
  const { zipSync } = await import('fflate');
  const pkg = Buffer.from(zipSync({ 'index.mjs': Buffer.from('export const handler = async () => ({ statusCode: 200 });\n'), 'lib/': new Uint8Array(0), 'lib/util.mjs': Buffer.from('export const add = (a, b) => a + b;\n'.repeat(20)) }, { mtime: new Date('2026-01-01T00:00:00Z') }));
  files['lambda-package.zip'] = pkg;
  files['lambda-package.signed.zip'] = await signWith(lambda, lambdaDescriptor as PlatformDescriptorFile, pkg, p384, { job: { ...chainJob, platformId: lambdaDescriptor.platformId } });
  const payload = Buffer.from(JSON.stringify({ targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${createHash('sha256').update('vector image').digest('hex')}`, size: 1234 } }));
  const envelope = await notation.signPayload!({ payload, payloadFormat: 'application/vnd.cncf.notary.payload.v1+json', key: p384, job: { ...chainJob, platformId: 'Notation-OCI-SHA384-ECDSA' } });
  files['notation-envelope.jws.json'] = Buffer.from(envelope.signature);

  for (const [name, bytes] of Object.entries(files)) writeFileSync(here(name), bytes);
  const all = [...Object.keys(files), 'p384-signer.key.pem', 'p384-signer.crt.pem', 'p384-root.crt.pem'].sort();
  const manifest = {
    note: 'Signed objects made by this project\'s platforms (generate.ts). TEST KEYS ONLY: the FreeRTOS ones are published (test/vectors/ota/signature-vectors.json), p384-* were generated for these fixtures.',
    job: VECTOR_JOB,
    chainJobCreatedAt: chainJob.createdAt,
    message: 'FreeRTOS/IoT objects sign the 84-byte ucDummyData message of test/vectors/ota/signature-vectors.json',
    deterministic: Object.keys(await deterministicVectors()),
    files: all.map((path) => ({ path, sha256: createHash('sha256').update(readFileSync(here(path))).digest('hex') })),
  };
  writeFileSync(here('MANIFEST.json'), `${JSON.stringify(manifest, null, 1)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) await main();
