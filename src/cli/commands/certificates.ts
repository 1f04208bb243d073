import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ImportCertificateCommand, ListCertificatesCommand } from '@aws-sdk/client-acm';
import { createTestCa, issueCodeSigningCertificate, type KeyType } from '../../keys/index.js';
import { clientContext } from '../client-context.js';

const KEY_TYPES: KeyType[] = ['EC_prime256v1', 'EC_secp384r1', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'ED25519'];

function keyType(v: string | undefined, fallback: KeyType): KeyType {
  if (v === undefined) return fallback;
  if (!KEY_TYPES.includes(v as KeyType)) throw new Error(`--algorithm must be one of ${KEY_TYPES.join(', ')}`);
  return v as KeyType;
}

/** `signer certificates import|list|create-test-ca|issue`. */
export async function runCertificates(argv: string[], dataDir: string, out: (s: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'create-test-ca') {
    const { values } = parseArgs({ args: rest, options: { dir: { type: 'string' }, algorithm: { type: 'string' }, days: { type: 'string' } } });
    if (!values.dir) throw new Error('create-test-ca needs --dir');
    const ca = await createTestCa({ dir: values.dir, algorithm: keyType(values.algorithm, 'EC_prime256v1'), validityDays: values.days ? Number(values.days) : undefined });
    out(`TEST ONLY CA written: ${ca.certificatePath} (key ${ca.privateKeyPath}, mode 0600). Never trust it on real devices.\n`);
    return 0;
  }
  if (sub === 'issue') {
    const { values } = parseArgs({ args: rest, options: { ca: { type: 'string' }, subject: { type: 'string' }, algorithm: { type: 'string' }, days: { type: 'string' }, out: { type: 'string' } } });
    if (!values.ca || !values.subject) throw new Error('issue needs --ca DIR and --subject CN');
    const c = await issueCodeSigningCertificate({
      ca: values.ca,
      subject: values.subject,
      algorithm: keyType(values.algorithm, 'EC_prime256v1'),
      validityDays: values.days ? Number(values.days) : undefined,
      outDir: values.out ?? '.',
    });
    out(`TEST ONLY code-signing certificate: ${c.files.certificate}\n  key: ${c.files.privateKey}\n  chain: ${c.files.chain}\n`);
    return 0;
  }
  if (sub === 'import') {
    const { values } = parseArgs({ args: rest, options: { certificate: { type: 'string' }, 'private-key': { type: 'string' }, chain: { type: 'string' }, profile: { type: 'string' } } });
    if (!values.certificate || !values['private-key']) throw new Error('import needs --certificate FILE and --private-key FILE');
    const ctx = clientContext(dataDir, values.profile);
    const res = await ctx.acm.send(
      new ImportCertificateCommand({
        Certificate: readFileSync(values.certificate),
        PrivateKey: readFileSync(values['private-key']),
        ...(values.chain ? { CertificateChain: readFileSync(values.chain) } : {}),
      }),
    );
    out(`${res.CertificateArn}\n`);
    return 0;
  }
  if (sub === 'list') {
    const { values } = parseArgs({ args: rest, options: { profile: { type: 'string' } } });
    const ctx = clientContext(dataDir, values.profile);
    const res = await ctx.acm.send(new ListCertificatesCommand({ Includes: { keyTypes: ['RSA_2048', 'RSA_3072', 'RSA_4096', 'EC_prime256v1', 'EC_secp384r1'] } }));
    for (const c of res.CertificateSummaryList ?? []) out(`${c.CertificateArn}\t${c.DomainName ?? ''}\t${c.KeyAlgorithm ?? ''}\n`);
    return 0;
  }
  throw new Error('certificates: use import, list, create-test-ca or issue');
}
