/**
 * `signer serve` as a user starts it: the banner names both endpoints, SIGTERM/SIGINT log a shutdown
 * line, a taken explicit port stops the start before any account or credentials exist, and client
 * commands against a stopped server say so (endpoint, not running, --data-dir).
 */
import '../src/sdk/quiet-node-warning.js';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ListSigningPlatformsCommand } from '@aws-sdk/client-signer';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/log/index.js';
import { startServer } from '../src/server/index.js';
import { SqliteStateStore } from '../src/store/index.js';
import { runCli } from '../src/cli/program.js';
import { startChildServer } from './support/child-server.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'cli-serve-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

async function takePort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server };
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = existsSync(join(ROOT, 'dist/src/cli/main.js'));
if (!DIST && process.env.CI === 'true') throw new Error('dist/ is missing: npm ci runs `npm run build` (prepare)');

describe.skipIf(!DIST)('the shipped command (bin/signer.js → dist/, what npm ci builds)', () => {
  it('serves from dist/ (model, platform descriptors and code copied) and answers the CLI from dist/', async () => {
    const dataDir = fresh();
    const env: NodeJS.ProcessEnv = { ...process.env, SIGNER_THROTTLE_RPS: '0' };
    delete env.SIGNER_FROM_SOURCE;
    const bin = join(ROOT, 'bin/signer.js');
    const server = spawn(process.execPath, [bin, 'serve', '--port', '0', '--s3-port', '0', '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout.on('data', (d: Buffer) => (out += d.toString()));
    server.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const onData = () => /Embedded S3 on /.test(out) && resolve();
        server.stdout.on('data', onData);
        void exited.then(() => reject(new Error(`serve exited:\n${out}`)));
      });
      const r = spawnSync(process.execPath, [bin, 'platforms', '--json', '--data-dir', dataDir], { env, encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as unknown[]).length).toBe(7);
      const v = spawnSync(process.execPath, [bin, 'verify', '--format', 'mcuboot', '--key', join(ROOT, 'test/vectors/bootloaders/mcuboot/keys/root-ec-p256.pem'), join(ROOT, 'test/vectors/bootloaders/mcuboot/images/ecdsa-p256.signed.bin')], { env, encoding: 'utf8', timeout: 120_000 });
      expect(v.status, v.stderr).toBe(0);
      expect(v.stdout).toMatch(/^OK mcuboot /);
    } finally {
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 180_000);
});

describe('signer serve', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`prints the Signer and S3 URLs, and ${signal} logs a shutdown line and exits 0`, async () => {
      const dataDir = fresh();
      const child = await startChildServer(dataDir);
      await child.signer.send(new ListSigningPlatformsCommand({}));
      // The banner is on stdout once endpoints.json exists; wait for it.
      for (let i = 0; i < 600 && !/Embedded S3 on /.test(child.output()); i++) await new Promise((r) => setTimeout(r, 50));
      expect(child.output()).toMatch(/^Signer API \(and ACM\) on http:\/\/127\.0\.0\.1:\d+$/m);
      expect(child.output()).toMatch(/^Embedded S3 on http:\/\/127\.0\.0\.1:\d+$/m);
      expect(child.output()).toMatch(/aws --endpoint-url http:\/\/127\.0\.0\.1:\d+ s3 ls/);
      const exit = new Promise<number | null>((r) => child.process.once('exit', (code) => r(code)));
      child.process.kill(signal);
      expect(await exit).toBe(0);
      expect(child.output()).toMatch(new RegExp(`shutting down.*${signal}`));
      expect(child.output()).toMatch(/stopped/);
    });
  }

  it('a taken explicit port (API, S3, MQTT TLS, MQTT plain) fails the start before an account or credentials exist', async () => {
    const cases = [
      { setting: '--port', flags: (p: number) => ({ port: p }), env: {} as Record<string, string> },
      { setting: '--s3-port', flags: (p: number) => ({ s3Port: p }), env: {} },
      { setting: 'SIGNER_MQTT_TLS_PORT', flags: () => ({}), env: { SIGNER_MQTT_TLS_PORT: 'taken' } },
      { setting: 'SIGNER_MQTT_PORT', flags: () => ({}), env: { SIGNER_MQTT_PORT: 'taken' } },
    ];
    for (const c of cases) {
      const dataDir = fresh();
      const taken = await takePort();
      try {
        const env = Object.fromEntries(Object.entries(c.env).map(([k]) => [k, String(taken.port)]));
        // Every other listener on a free port, so only the taken one can fail the start.
        const config = loadConfig({ env: { SIGNER_MQTT_TLS_PORT: '0', SIGNER_MQTT_PORT: '0', ...env }, flags: { dataDir, port: 0, s3Port: 0, ...c.flags(taken.port) } });
        await expect(startServer(config, { logger: createLogger('silent') }), c.setting).rejects.toThrow(new RegExp(`port ${taken.port} is already in use; change ${c.setting}`));
      } finally {
        taken.server.close();
      }
      expect(existsSync(join(dataDir, 'credentials')), c.setting).toBe(false);
      expect(existsSync(join(dataDir, 'config')), c.setting).toBe(false);
      expect(existsSync(join(dataDir, 'endpoints.json')), c.setting).toBe(false);
      const store = SqliteStateStore.open(join(dataDir, 'state.db'));
      expect(await store.listAccounts(), c.setting).toEqual([]);
      await store.close();
      // The same data folder starts once the port is free, and its listeners answer.
      const ok = await startServer(loadConfig({ env: { SIGNER_MQTT_TLS_PORT: '0', SIGNER_MQTT_PORT: '0' }, flags: { dataDir, port: 0, s3Port: 0 } }), { logger: createLogger('silent') });
      try {
        expect(existsSync(join(dataDir, 'credentials'))).toBe(true);
        expect(ok.mqtt.tlsPort).toBeGreaterThan(0);
      } finally {
        await ok.close();
      }
    }
  }, 120_000);

  it('a client command against a stopped server names the endpoint, says it is not running and points at --data-dir', async () => {
    const dataDir = fresh();
    const child = await startChildServer(dataDir);
    await child.kill('SIGTERM');
    const r = await cli('platforms', '--data-dir', dataDir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot reach the Signer API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): the server is not running/);
    expect(r.err).toContain(join(dataDir, 'endpoints.json'));
    expect(r.err).toMatch(/--data-dir DIR or SIGNER_DATA_DIR/);
    expect(r.err).not.toMatch(/^connect ECONNREFUSED/m);

    // The same as a user runs it (a process of its own): exit 1, the message, and no SDK Node-version warning.
    const env = { ...process.env };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const proc = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'platforms', '--data-dir', dataDir], { env, encoding: 'utf8', timeout: 120_000 });
    expect(proc.status).toBe(1);
    expect(proc.stderr).toMatch(/^signer platforms: cannot reach the Signer API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    expect(proc.stderr).not.toMatch(/NodeVersionSupportWarning/);
    expect(proc.stdout).toBe('');
  });
});
