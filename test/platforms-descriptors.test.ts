/**
 * Every platform folder keeps the contract of platforms/platform.types.ts: a descriptor the server can serve
 * and an index.ts default export that matches what the descriptor promises.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PlatformDescriptorFile, PlatformModule } from '../platforms/platform.types.js';

const root = new URL('../platforms/', import.meta.url);
const ids = readdirSync(root, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(new URL(`${e.name}/descriptor.json`, root)))
  .map((e) => e.name);
const KEY_TYPES = ['EC_prime256v1', 'EC_secp384r1', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'ED25519'];

describe('platform folders', () => {
  it('[architecture.md: adding a platform = adding a folder] the seven platforms are discovered from platforms/*/descriptor.json', () => {
    expect(ids.sort()).toEqual([
      'AWSIoTDeviceManagement-SHA256-ECDSA',
      'AWSLambda-SHA384-ECDSA',
      'AmazonFreeRTOS-Default',
      'AmazonFreeRTOS-TI-CC3220SF',
      'ESP32-SecureBootV2',
      'MCUboot',
      'Notation-OCI-SHA384-ECDSA',
    ]);
  });

  for (const id of ids) {
    it(`[platform.types.ts] ${id}: descriptor is consistent and index.ts exports what it promises`, async () => {
      const d = JSON.parse(readFileSync(new URL(`${id}/descriptor.json`, root), 'utf8')) as PlatformDescriptorFile;
      expect(d.platformId).toBe(id);
      for (const field of ['displayName', 'partner', 'target', 'category'] as const) expect(typeof d[field]).toBe('string');
      const enc = d.signingConfiguration.encryptionAlgorithmOptions;
      const hash = d.signingConfiguration.hashAlgorithmOptions;
      expect(enc.allowedValues).toContain(enc.defaultValue);
      expect(hash.allowedValues).toContain(hash.defaultValue);
      expect(d.signingImageFormat.supportedFormats).toContain(d.signingImageFormat.defaultFormat);
      expect(d.maxSizeInMB).toBeGreaterThan(0);
      expect(typeof d.revocationSupported).toBe('boolean');
      for (const [algorithm, types] of Object.entries(d.extras.keyTypes ?? {})) {
        expect(enc.allowedValues).toContain(algorithm);
        for (const t of types ?? []) expect(KEY_TYPES).toContain(t);
      }
      for (const [name, rule] of Object.entries(d.extras.signingParameters ?? {})) {
        expect(rule.description.length, name).toBeGreaterThan(0);
        if (rule.pattern !== undefined && rule.default !== undefined) expect(new RegExp(rule.pattern).test(rule.default), `${name} default`).toBe(true);
      }
      const module = (await import(/* @vite-ignore */ new URL(`${id}/index.ts`, root).href)) as { default: PlatformModule };
      expect(typeof module.default.sign).toBe('function');
      expect(typeof module.default.signPayload === 'function').toBe(d.extras.supportsSignPayload);
    });
  }
});
