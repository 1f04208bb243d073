/**
 * The device's flash as the OTA PAL and a test-boot-once boot loader (MCUboot style) see it: the
 * running image, an update slot blocks are written into, and the platform image state that
 * survives a reset (like the POSIX PAL's PlatformImageState.txt).
 *
 * - `activate()` marks the received image for a test boot (PendingCommit);
 * - the next `boot()` runs it once; a second boot without `commit()` reverts to the previous image;
 * - `reject()` drops a pending image now (the next boot runs the previous one).
 */
import type { AppVersion } from './firmware-image.js';

export type PalImageState = 'Valid' | 'PendingCommit' | 'Invalid';

interface Slot {
  image: Uint8Array;
  version: AppVersion;
}

export class SimulatedFlash {
  private running: Slot;
  private previous: Slot | undefined;
  private pending: Slot | undefined;
  private testBoots = 0;
  state: PalImageState = 'Valid';
  /** The update slot being written (one per download). */
  private slot: Uint8Array | undefined;

  constructor(factory: Slot) {
    this.running = factory;
  }

  get version(): AppVersion {
    return this.running.version;
  }
  get image(): Uint8Array {
    return this.running.image;
  }

  /** Called at every (re)boot by the boot loader; returns what runs. */
  boot(): { version: AppVersion; selfTest: boolean } {
    if (this.state === 'PendingCommit' && this.pending) {
      if (this.testBoots === 0) {
        this.previous = this.running;
        this.running = this.pending;
        this.testBoots = 1;
        return { version: this.running.version, selfTest: true };
      }
      // Booted once without a commit: roll back.
      this.running = this.previous as Slot;
      this.pending = undefined;
      this.testBoots = 0;
      this.state = 'Invalid';
    }
    return { version: this.running.version, selfTest: false };
  }

  /** Erases the update slot for a file of `size` bytes (PAL createFile). */
  createFile(size: number): void {
    this.slot = new Uint8Array(size);
  }
  writeBlock(offset: number, bytes: Uint8Array): boolean {
    if (!this.slot || offset < 0 || offset + bytes.length > this.slot.length) return false;
    this.slot.set(bytes, offset);
    return true;
  }
  /** The written file (PAL closeFile reads it to verify). */
  file(): Uint8Array | undefined {
    return this.slot;
  }
  abortFile(): void {
    this.slot = undefined;
  }

  /** Marks the received file as the image to test-boot next. */
  activate(version: AppVersion): void {
    if (!this.slot) throw new Error('no file to activate');
    this.pending = { image: this.slot, version };
    this.slot = undefined;
    this.testBoots = 0;
    this.state = 'PendingCommit';
  }
  /** Self-test passed: the running image stays. */
  commit(): void {
    this.pending = undefined;
    this.previous = undefined;
    this.testBoots = 0;
    this.state = 'Valid';
  }
  /** Self-test failed or the image was rejected: the next boot runs the previous image. */
  reject(): void {
    if (this.state === 'PendingCommit' && this.previous) {
      this.running = this.previous;
      this.pending = undefined;
      this.testBoots = 0;
    }
    this.state = 'Invalid';
  }
}
