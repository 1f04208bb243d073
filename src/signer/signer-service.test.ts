import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../store/index.js';
import { PageTokens } from './pagination.js';
import { PlatformRegistry } from './platform-registry.js';
import { SignerService } from './signer-service.js';
import type { SigningEngine } from './jobs.js';

const dir = mkdtempSync(join(tmpdir(), 'signer-service-'));
const store = SqliteStateStore.open(join(dir, 'state.db'));
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
const deps = { store, platforms: new PlatformRegistry(), tokens: new PageTokens(new Uint8Array(32)), region: 'us-east-1', now: () => new Date() };
const certificateKeyType = async () => 'EC_prime256v1';
const engine: SigningEngine = {
  check: async () => undefined,
  enqueue: () => undefined,
  signPayload: async () => ({ signature: new Uint8Array(), metadata: {} }),
};

describe('SignerService wiring', () => {
  it('is built with its signing engine and certificate lookup', () => {
    expect(() => new SignerService(deps, { engine, certificateKeyType })).not.toThrow();
  });
  it('without a signing engine it fails at construction (not later, with jobs left InProgress)', () => {
    expect(() => new SignerService(deps, { engine: undefined as unknown as SigningEngine, certificateKeyType })).toThrow(/needs a signing engine/);
    expect(() => new SignerService(deps, { engine: { check: engine.check } as unknown as SigningEngine, certificateKeyType })).toThrow(/needs a signing engine/);
  });
  it('without a certificate lookup it fails at construction', () => {
    expect(() => new SignerService(deps, { engine, certificateKeyType: undefined as never })).toThrow(/certificate key-type lookup/);
  });
});
