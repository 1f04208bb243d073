import { PlatformInputError, type KeyType, type PlatformDescriptorFile, type SigningKey } from '../platform.types.js';

/** The request fields every platform checks before it reads a byte of the source. */
export interface CheckedFields {
  encryptionAlgorithm: string;
  hashAlgorithm: string;
  imageFormat: string;
  key: SigningKey;
  signingParameters: Readonly<Record<string, string>>;
}

/** One mebibyte: `maxSizeInMB` counts these. */
export const MIB = 1024 * 1024;

/** The key types of each encryption algorithm, for platforms whose descriptor lists none. */
const KEY_FAMILIES: Readonly<Record<string, readonly KeyType[]>> = {
  ECDSA: ['EC_prime256v1', 'EC_secp384r1'],
  RSA: ['RSA_2048', 'RSA_3072', 'RSA_4096'],
  ED25519: ['ED25519'],
};

/**
 * THE descriptor checks, used by the platforms at signing time (`checkRequest`) and by the server
 * when a profile is put (src/signer/profiles.ts): algorithms and format among the descriptor's
 * allowed values, the key type, the signing parameters. Each throws PlatformInputError.
 */

/** Checks each given algorithm/format against the descriptor's allowed values (absent = not chosen). */
export function checkAlgorithms(
  descriptor: PlatformDescriptorFile,
  chosen: { encryptionAlgorithm?: string | undefined; hashAlgorithm?: string | undefined; imageFormat?: string | undefined },
): void {
  const { platformId, signingConfiguration, signingImageFormat } = descriptor;
  if (chosen.encryptionAlgorithm !== undefined) oneOf('encryption algorithm', chosen.encryptionAlgorithm, signingConfiguration.encryptionAlgorithmOptions.allowedValues, platformId);
  if (chosen.hashAlgorithm !== undefined) oneOf('hash algorithm', chosen.hashAlgorithm, signingConfiguration.hashAlgorithmOptions.allowedValues, platformId);
  if (chosen.imageFormat !== undefined) oneOf('signing image format', chosen.imageFormat, signingImageFormat.supportedFormats, platformId);
}

/** The key types that sign with `encryptionAlgorithm` on this platform: `extras.keyTypes` when listed, else the algorithm's family. */
export function allowedKeyTypes(descriptor: PlatformDescriptorFile, encryptionAlgorithm: string): readonly KeyType[] {
  return descriptor.extras.keyTypes?.[encryptionAlgorithm] ?? KEY_FAMILIES[encryptionAlgorithm] ?? [];
}

/** Checks that a key of `keyType` signs with `encryptionAlgorithm` on this platform. */
export function checkKeyType(descriptor: PlatformDescriptorFile, encryptionAlgorithm: string, keyType: string): void {
  const allowed = allowedKeyTypes(descriptor, encryptionAlgorithm);
  if (!(allowed as readonly string[]).includes(keyType)) {
    throw new PlatformInputError(
      `${descriptor.platformId} with ${encryptionAlgorithm} needs a key of type ${allowed.length > 0 ? allowed.join(' or ') : '(none: no key type is known for this algorithm)'}; the signing key is ${keyType}`,
    );
  }
}

/**
 * Checks signing parameters against `extras.signingParameters` (absent or empty spec = any
 * parameter, the contract in platform.types.ts) and answers them with the descriptor's defaults filled in.
 */
export function resolveSigningParameters(descriptor: PlatformDescriptorFile, signingParameters: Readonly<Record<string, string>>): Record<string, string> {
  const { platformId, extras } = descriptor;
  const spec = extras.signingParameters;
  if (spec === undefined || Object.keys(spec).length === 0) return { ...signingParameters };
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(signingParameters)) {
    const rule = spec[name];
    if (rule === undefined) {
      const known = Object.keys(spec);
      throw new PlatformInputError(
        `${platformId} does not understand signing parameter "${name}"${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`,
      );
    }
    if (rule.pattern !== undefined && !new RegExp(rule.pattern).test(value)) {
      throw new PlatformInputError(`signing parameter "${name}" must match ${rule.pattern}`);
    }
    params[name] = value;
  }
  for (const [name, rule] of Object.entries(spec)) {
    if (params[name] === undefined && rule.default !== undefined) params[name] = rule.default;
  }
  return params;
}

/**
 * All the checks a platform makes on a resolved request before it reads a byte of the source.
 * Returns the signing parameters with the descriptor's defaults filled in.
 * @throws PlatformInputError naming the offending value and what is allowed.
 */
export function checkRequest(descriptor: PlatformDescriptorFile, request: CheckedFields): Record<string, string> {
  checkAlgorithms(descriptor, request);
  checkKeyType(descriptor, request.encryptionAlgorithm, request.key.keyType);
  return resolveSigningParameters(descriptor, request.signingParameters);
}

/**
 * Rejects an empty source and one larger than the descriptor's `maxSizeInMB`.
 * @throws PlatformInputError
 */
export function checkSourceSize(descriptor: PlatformDescriptorFile, sourceSize: number): void {
  if (!Number.isSafeInteger(sourceSize) || sourceSize < 0) {
    throw new PlatformInputError(`source size ${sourceSize} is not a byte count`);
  }
  if (sourceSize === 0) throw new PlatformInputError('source object is empty: there is nothing to sign');
  const max = descriptor.maxSizeInMB * MIB;
  if (sourceSize > max) {
    throw new PlatformInputError(
      `source object is ${sourceSize} bytes; ${descriptor.platformId} signs at most ${descriptor.maxSizeInMB} MB (${max} bytes)`,
    );
  }
}

function oneOf(what: string, value: string, allowed: readonly string[], platformId: string): void {
  if (!allowed.includes(value)) {
    throw new PlatformInputError(`${platformId} does not support ${what} ${value} (allowed: ${allowed.join(', ')})`);
  }
}
