import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PlatformDescriptor, PlatformDescriptorFile, PlatformModule } from '../../platforms/platform.types.js';

/** Where the platform folders are: `<repo>/platforms`. */
export const PLATFORMS_DIR = fileURLToPath(new URL('../../platforms/', import.meta.url));

/** A platform as the server knows it: its descriptor, its extras and (lazily) its signing module. */
export interface RegisteredPlatform {
  descriptor: PlatformDescriptor;
  extras: PlatformDescriptorFile['extras'];
  dir: string;
}

/**
 * The platforms found under `platforms/`: every folder with a `descriptor.json`.
 * Adding a platform means adding a folder — nothing here changes.
 */
export class PlatformRegistry {
  private readonly byId = new Map<string, RegisteredPlatform>();
  private readonly modules = new Map<string, Promise<PlatformModule>>();

  constructor(dir: string = PLATFORMS_DIR) {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const file = join(dir, entry.name, 'descriptor.json');
      if (!existsSync(file)) continue;
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as PlatformDescriptorFile;
      const { extras, ...descriptor } = parsed;
      if (descriptor.platformId !== entry.name) {
        throw new Error(`platforms/${entry.name}/descriptor.json names platform '${descriptor.platformId}'; the folder must have the same name.`);
      }
      this.byId.set(descriptor.platformId, { descriptor, extras, dir: join(dir, entry.name) });
    }
  }

  get(platformId: string): RegisteredPlatform | undefined {
    return this.byId.get(platformId);
  }

  /** All platforms, sorted by id (the listing order). */
  all(): RegisteredPlatform[] {
    return [...this.byId.values()].sort((a, b) => (a.descriptor.platformId < b.descriptor.platformId ? -1 : 1));
  }

  /** The platform's signing code (`platforms/<id>/index.ts` default export), loaded on first use. */
  module(platformId: string): Promise<PlatformModule> {
    let m = this.modules.get(platformId);
    if (!m) {
      const p = this.byId.get(platformId);
      if (!p) return Promise.reject(new Error(`unknown platform ${platformId}`));
      const candidates = ['index.ts', 'index.js'].map((f) => join(p.dir, f)).filter((f) => existsSync(f));
      if (candidates.length === 0) return Promise.reject(new Error(`platform ${platformId} has no signing code yet`));
      m = import(pathToFileURL(candidates[0]!).href).then((mod: { default: PlatformModule }) => mod.default);
      this.modules.set(platformId, m);
    }
    return m;
  }
}
