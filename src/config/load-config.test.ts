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
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(message);
  });
});
