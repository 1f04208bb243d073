import { join } from 'node:path';
import type { Config } from '../../config/index.js';
import { startServer } from '../../server/index.js';
import type { CliIo } from '../io.js';

/** Starts the server, prints where it listens, and stops it cleanly on SIGINT/SIGTERM. Never resolves. */
export async function runServe(config: Config, io: CliIo): Promise<number> {
  const server = await startServer(config);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    server.logger.info('shutting down', { signal });
    server.close().then(
      () => {
        server.logger.info('stopped', { signal });
        process.exit(0);
      },
      (e: unknown) => {
        server.logger.error('shutdown failed', { error: String(e) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const dir = server.config.dataDir;
  io.stdout(
    `Signer API (and ACM) on ${server.apiUrl}\n` +
      `Embedded S3 on ${server.s3Url}\n` +
      `  export AWS_SHARED_CREDENTIALS_FILE=${join(dir, 'credentials')} AWS_CONFIG_FILE=${join(dir, 'config')}\n` +
      `  aws --endpoint-url ${server.apiUrl} signer list-signing-platforms\n` +
      `  aws --endpoint-url ${server.s3Url} s3 ls\n`,
  );
  return new Promise<number>(() => undefined);
}
