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

/**
 * Checks the resolved algorithms and format against the descriptor's allowed values, the key
 * type against `extras.keyTypes`, and the signing parameters against `extras.signingParameters`.
 * Returns the signing parameters with the descriptor's defaults filled in.
 * @throws PlatformInputError naming the offending value and what is allowed.
 */
export function checkRequest(descriptor: PlatformDescriptorFile, request: CheckedFields): Record<string, string> {
  const { platformId, signingConfiguration, signingImageFormat, extras } = descriptor;
  oneOf('encryption algorithm', request.encryptionAlgorithm, signingConfiguration.encryptionAlgorithmOptions.allowedValues, platformId);
  oneOf('hash algorithm', request.hashAlgorithm, signingConfiguration.hashAlgorithmOptions.allowedValues, platformId);
  oneOf('signing image format', request.imageFormat, signingImageFormat.supportedFormats, platformId);
  const keyTypes: KeyType[] | undefined = extras.keyTypes?.[request.encryptionAlgorithm];
  if (keyTypes !== undefined && !keyTypes.includes(request.key.keyType)) {
    throw new PlatformInputError(
      `${platformId} with ${request.encryptionAlgorithm} needs a key of type ${keyTypes.join(' or ')}; the signing key is ${request.key.keyType}`,
    );
  }
  const spec = extras.signingParameters;
  const params: Record<string, string> = {};
  // absent or empty spec = any parameter (the contract in platform.types.ts)
  if (spec === undefined || Object.keys(spec).length === 0) return { ...request.signingParameters };
  for (const [name, value] of Object.entries(request.signingParameters)) {
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
