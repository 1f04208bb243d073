import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.js';

describe('loadConfig', () => {
  it('defaults are the embedded ones and the result is deep-frozen', () => {
    const c = loadConfig({ env: {} });
    expect(c.api).toEqual({ port: 8080, explicit: false, setBy: 'SIGNER_PORT' });
    expect(c.s3.port).toBe(9000);
    expect(c.database.kind).toBe('sqlite');
    expect(c.keys).toEqual({ kind: 'file' });
    expect(c.events).toEqual({});
    expect(Object.isFrozen(c) && Object.isFrozen(c.api) && Object.isFrozen(c.throttle)).toBe(true);
  });
  it('limits: safe defaults, every one settable from the environment, frozen', () => {
    const c = loadConfig({ env: {} });
    expect(c.limits).toEqual({
      headersTimeoutMs: 10_000, apiRequestTimeoutMs: 30_000, s3RequestTimeoutMs: 3_600_000, idleTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000,
      maxConnectionsPerIp: 64, unauthenticatedMaxBodyBytes: 16_384, authFailures: { ratePerSecond: 10, burst: 50 }, maxJsonDepth: 32,
      xml: { maxBytes: 2 * 1024 * 1024, maxElements: 100_000, maxDepth: 16 },
    });
    expect(Object.isFrozen(c.limits.xml)).toBe(true);
    const d = loadConfig({ env: { SIGNER_IDLE_TIMEOUT_MS: '400', SIGNER_AUTH_FAILURE_RPS: '0.5', SIGNER_MAX_XML_DEPTH: '8' } });
    expect([d.limits.idleTimeoutMs, d.limits.authFailures.ratePerSecond, d.limits.xml.maxDepth]).toEqual([400, 0.5, 8]);
  });
  it('precedence: defaults < file < environment < flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'signer.json');
    writeFileSync(file, JSON.stringify({ port: 7000, region: 'eu-west-1', logLevel: 'warn' }));
    const c = loadConfig({ file, env: { SIGNER_PORT: '7001', SIGNER_LOG_LEVEL: 'error' }, flags: { port: 7002 } });
    expect(c.api).toEqual({ port: 7002, explicit: true, setBy: '--port' });
    expect(c.region).toBe('eu-west-1');
    expect(c.logLevel).toBe('error');
  });
  it.each([
    [{ SIGNER_PORT: 'eighty' }, /SIGNER_PORT must be a number/],
    [{ SIGNER_PORT: '70000' }, /SIGNER_PORT must be a port number/],
    [{ SIGNER_REGION: 'mars' }, /SIGNER_REGION must look like an AWS region/],
    [{ SIGNER_DATABASE_URL: 'mysql://x' }, /must be a postgres:\/\/ URL/],
    [{ SIGNER_LOG_LEVEL: 'loud' }, /SIGNER_LOG_LEVEL must be one of/],
    [{ SIGNER_THROTTLE_RPS: '-1' }, /SIGNER_THROTTLE_RPS must be ≥ 0/],
    [{ SIGNER_MAX_BODY_BYTES: '10' }, /SIGNER_MAX_BODY_BYTES must be an integer ≥ 8192/],
    [{ SIGNER_EVENTS_WEBHOOK_URL: 'http://127.0.0.1:1/h' }, /SIGNER_EVENTS_WEBHOOK_SECRET .* is required/],
    [{ SIGNER_EVENTS_MQTT_URL: 'http://broker' }, /must be an mqtt:\/\/ or mqtts:\/\/ URL/],
    [{ SIGNER_PKCS11_LIBRARY: '/usr/lib/x.so' }, /needs SIGNER_PKCS11_TOKEN_LABEL and SIGNER_PKCS11_PIN/],
    [{ SIGNER_IDLE_TIMEOUT_MS: '0' }, /SIGNER_IDLE_TIMEOUT_MS must be an integer from 100/],
    [{ SIGNER_MAX_JSON_DEPTH: '2.5' }, /SIGNER_MAX_JSON_DEPTH must be an integer/],
    [{ SIGNER_AUTH_FAILURE_RPS: '-1' }, /SIGNER_AUTH_FAILURE_RPS must be a number from 0/],
    [{ SIGNER_UNAUTHENTICATED_MAX_BODY_BYTES: '1048576', SIGNER_MAX_BODY_BYTES: '65536' }, /must not exceed SIGNER_MAX_BODY_BYTES/],
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(message);
  });
});
