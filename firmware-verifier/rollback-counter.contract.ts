import type { RollbackCounter } from './rollback-counter.js';

/** The test functions the contract needs (vitest's or any compatible runner's), injected so this module stays runner-free. */
export interface ContractRunner {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => void | Promise<void>): void;
  expect(actual: unknown): { toBe(expected: unknown): void; toThrow(expected?: unknown): void };
}

/**
 * The one contract every {@link RollbackCounter} implementation must pass (house rule 13, aedes-persistence
 * style): the in-memory counter runs it here, the simulator's persisted counter runs it in its own suite.
 * `make` returns a fresh, empty counter each time.
 */
export function rollbackCounterContract(name: string, make: () => RollbackCounter, { describe, it, expect }: ContractRunner): void {
  describe(`RollbackCounter contract: ${name}`, () => {
    it('[contract] a domain never written reads 0', () => {
      expect(make().read('never-written')).toBe(0);
    });
    it('[contract] advance raises the value and never lowers it [MCUboot boot_update_security_counter]', () => {
      const counter = make();
      counter.advance('d', 5);
      expect(counter.read('d')).toBe(5);
      counter.advance('d', 3);
      expect(counter.read('d')).toBe(5);
      counter.advance('d', 0xffffffff);
      expect(counter.read('d')).toBe(0xffffffff);
    });
    it('[contract] domains are independent', () => {
      const counter = make();
      counter.advance('a', 9);
      expect(counter.read('b')).toBe(0);
    });
    it('[contract] values outside u32 or not integers are a RangeError', () => {
      const counter = make();
      expect(() => counter.advance('d', -1)).toThrow(RangeError);
      expect(() => counter.advance('d', 2 ** 32)).toThrow(RangeError);
      expect(() => counter.advance('d', 0.5)).toThrow(RangeError);
    });
  });
}
