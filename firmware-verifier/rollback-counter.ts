/**
 * The device's monotonic anti-rollback counters (MCUboot hardware security counter, ESP32
 * eFuse SECURE_VERSION), one per domain (e.g. `mcuboot:0`, `esp32:app`).
 * The verifier only reads; the caller advances a counter once the new image is permanent
 * (MCUboot `boot_update_security_counter` runs after the swap is confirmed).
 * The simulator persists an implementation of this interface.
 */
export interface RollbackCounter {
  /** Current value for `domain`; 0 when never set. */
  read(domain: string): number;
  /** Raises the value to `value`; never lowers it. */
  advance(domain: string, value: number): void;
}

/** A {@link RollbackCounter} kept in memory. */
export class InMemoryRollbackCounter implements RollbackCounter {
  readonly #values = new Map<string, number>();

  /** @param initial - starting values per domain. */
  constructor(initial: Readonly<Record<string, number>> = {}) {
    for (const [domain, value] of Object.entries(initial)) this.advance(domain, value);
  }

  /** @inheritdoc */
  read(domain: string): number {
    return this.#values.get(domain) ?? 0;
  }

  /** @inheritdoc Throws RangeError for values that are not unsigned 32-bit integers. */
  advance(domain: string, value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError('counter must be a u32');
    if (value > this.read(domain)) this.#values.set(domain, value);
  }
}
