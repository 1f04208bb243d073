/**
 * Runs the AWS CLI (any `aws` found on PATH) against a test server as a user would: only the server's
 * own credential and config files (no AWS_* from the caller's environment), no pager, JSON output.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface AwsCliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

/** `aws --endpoint-url <server> --output json ARGS`; a non-zero exit is a result, not an error. */
export async function awsCli(bin: string, server: { url: string; dataDir: string }, args: readonly string[]): Promise<AwsCliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) env[k] = v;
  Object.assign(env, { AWS_SHARED_CREDENTIALS_FILE: join(server.dataDir, 'credentials'), AWS_CONFIG_FILE: join(server.dataDir, 'config'), AWS_PAGER: '' });
  try {
    const out = await run(bin, ['--endpoint-url', server.url, '--output', 'json', ...args], { env, timeout: 60_000 });
    return { code: 0, stdout: out.stdout, stderr: out.stderr, json: out.stdout.trim() ? (JSON.parse(out.stdout) as Record<string, unknown>) : {} };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '', json: {} };
  }
}
