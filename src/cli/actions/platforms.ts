import { paginateListSigningPlatforms, type SigningPlatform } from '@aws-sdk/client-signer';
import { clientContext } from '../client-context.js';
import type { CliIo } from '../io.js';
import { printJson, printTable } from '../output.js';

/** All platforms of the server behind `dataDir`. */
export async function listPlatforms(dataDir: string): Promise<SigningPlatform[]> {
  const ctx = clientContext(dataDir);
  const all: SigningPlatform[] = [];
  for await (const page of paginateListSigningPlatforms({ client: ctx.signer }, {})) all.push(...(page.platforms ?? []));
  return all;
}

export async function runPlatforms(io: CliIo, dataDir: string, json: boolean): Promise<number> {
  const all = await listPlatforms(dataDir);
  if (json) {
    printJson(io, all);
    return 0;
  }
  printTable(
    io,
    [
      { header: 'PLATFORM', value: (p) => p.platformId },
      { header: 'PARTNER', value: (p) => p.partner },
      {
        header: 'ALGORITHMS',
        value: (p) =>
          `${p.signingConfiguration?.encryptionAlgorithmOptions?.allowedValues?.join(',') ?? ''}/${p.signingConfiguration?.hashAlgorithmOptions?.allowedValues?.join(',') ?? ''}`,
      },
      { header: 'FORMATS', value: (p) => p.signingImageFormat?.supportedFormats?.join(',') },
      { header: 'MAX MB', value: (p) => p.maxSizeInMB },
    ],
    all,
  );
  return 0;
}
