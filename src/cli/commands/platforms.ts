import { paginateListSigningPlatforms } from '@aws-sdk/client-signer';
import { clientContext } from '../client-context.js';

/** `signer platforms`: the signing platforms of the running server, one line each. */
export async function runPlatforms(dataDir: string, out: (s: string) => void): Promise<number> {
  const ctx = clientContext(dataDir);
  out('platformId\tpartner\talgorithms\tformats\tmaxSizeInMB\n');
  for await (const page of paginateListSigningPlatforms({ client: ctx.signer }, {})) {
    for (const p of page.platforms ?? []) {
      const enc = p.signingConfiguration?.encryptionAlgorithmOptions?.allowedValues?.join(',') ?? '';
      const hash = p.signingConfiguration?.hashAlgorithmOptions?.allowedValues?.join(',') ?? '';
      out(`${p.platformId}\t${p.partner}\t${enc}/${hash}\t${p.signingImageFormat?.supportedFormats?.join(',') ?? ''}\t${p.maxSizeInMB}\n`);
    }
  }
  return 0;
}
