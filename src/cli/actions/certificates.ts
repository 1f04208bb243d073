import { ImportCertificateCommand, paginateListCertificates } from '@aws-sdk/client-acm';
import { clientContext } from '../client-context.js';
import { readInput, type CliIo } from '../io.js';
import { printJson, printTable } from '../output.js';

export async function importCertificate(
  io: CliIo,
  dataDir: string,
  opts: { certificate: string; privateKey: string; chain?: string; profile: string; json?: boolean },
): Promise<number> {
  const Certificate = await readInput(io, opts.certificate, '--certificate');
  const PrivateKey = await readInput(io, opts.privateKey, '--private-key');
  const CertificateChain = opts.chain === undefined ? undefined : await readInput(io, opts.chain, '--chain');
  const ctx = clientContext(dataDir, opts.profile);
  const res = await ctx.acm.send(new ImportCertificateCommand({ Certificate, PrivateKey, ...(CertificateChain ? { CertificateChain } : {}) }));
  if (opts.json) printJson(io, { certificateArn: res.CertificateArn });
  else io.stdout(`${res.CertificateArn}\n`);
  return 0;
}

export async function listCertificates(io: CliIo, dataDir: string, opts: { profile: string; json?: boolean }): Promise<number> {
  const ctx = clientContext(dataDir, opts.profile);
  const rows: { certificateArn: string; domainName: string; keyAlgorithm: string; status: string; notAfter?: string }[] = [];
  const keyTypes = ['RSA_2048', 'RSA_3072', 'RSA_4096', 'EC_prime256v1', 'EC_secp384r1'] as const;
  for await (const page of paginateListCertificates({ client: ctx.acm }, { Includes: { keyTypes: [...keyTypes] } })) {
    for (const c of page.CertificateSummaryList ?? []) {
      rows.push({
        certificateArn: c.CertificateArn ?? '',
        domainName: c.DomainName ?? '',
        keyAlgorithm: c.KeyAlgorithm ?? '',
        status: c.Status ?? '',
        ...(c.NotAfter ? { notAfter: c.NotAfter.toISOString() } : {}),
      });
    }
  }
  if (opts.json) printJson(io, rows);
  else
    printTable(
      io,
      [
        { header: 'CERTIFICATE ARN', value: (r) => r.certificateArn },
        { header: 'SUBJECT', value: (r) => r.domainName },
        { header: 'KEY', value: (r) => r.keyAlgorithm },
        { header: 'STATUS', value: (r) => r.status },
        { header: 'NOT AFTER', value: (r) => r.notAfter },
      ],
      rows,
    );
  return 0;
}
