import type { PlatformDescriptorFile } from '../platform.types.js';
import { createOtaJsonPlatform } from '../_shared/index.js';
import descriptor from './descriptor.json' with { type: 'json' };

/** `AmazonFreeRTOS-Default`: signs the whole file; writes the JSON signed object (see docs/platforms.md). */
export default createOtaJsonPlatform(descriptor as PlatformDescriptorFile);
