import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACMClient } from '@aws-sdk/client-acm';
import { IoTClient } from '@aws-sdk/client-iot';
import { S3Client } from '@aws-sdk/client-s3';
import { SignerClient } from '@aws-sdk/client-signer';

/** How a CLI command reaches a running server: endpoints and the admin key from its data dir. */
export interface ClientContext {
  region: string;
  signer: SignerClient;
  acm: ACMClient;
  s3: S3Client;
  /** AWS IoT control plane (served on the Signer API's endpoint). */
  iot: IoTClient;
  accessKeyId: string;
  dataDir: string;
}

/** Reads one profile's keys from an AWS shared-credentials file. */
function readCredentials(file: string, profile: string): { accessKeyId: string; secretAccessKey: string } {
  let section = '';
  const found: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\[(.+)\]\s*$/.exec(line.trim());
    if (m) section = m[1]!;
    else if (section === profile) {
      const kv = /^\s*([a-z_]+)\s*=\s*(\S+)\s*$/.exec(line);
      if (kv) found[kv[1]!] = kv[2]!;
    }
  }
  if (!found.aws_access_key_id || !found.aws_secret_access_key) throw new Error(`no profile '${profile}' in ${file}`);
  return { accessKeyId: found.aws_access_key_id, secretAccessKey: found.aws_secret_access_key };
}

/** Clients for the server whose data dir is `dataDir` (it must be running: endpoints.json names it). */
export function clientContext(dataDir: string, profile = 'default'): ClientContext {
  const endpointsFile = join(dataDir, 'endpoints.json');
  if (!existsSync(endpointsFile)) throw new Error(`no running server found: ${endpointsFile} is missing (start it with 'npm start').`);
  const ep = JSON.parse(readFileSync(endpointsFile, 'utf8')) as { signer: string; acm: string; s3: string; region: string };
  const credentials = readCredentials(join(dataDir, 'credentials'), profile);
  const common = { region: ep.region, credentials, maxAttempts: 2 };
  return {
    region: ep.region,
    accessKeyId: credentials.accessKeyId,
    signer: new SignerClient({ ...common, endpoint: ep.signer, disableHostPrefix: true }),
    acm: new ACMClient({ ...common, endpoint: ep.acm }),
    s3: new S3Client({ ...common, endpoint: ep.s3, forcePathStyle: true }),
    iot: new IoTClient({ ...common, endpoint: ep.signer }),
    dataDir,
  };
}
