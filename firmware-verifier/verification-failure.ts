import type { ReasonCode } from './reason-codes.js';

/**
 * Internal control-flow error: a check throws it and the single exit in
 * {@link settle} turns it into a failed result. It never escapes the package.
 */
export class VerificationFailure extends Error {
  /** The reason code the result will carry. */
  readonly reason: ReasonCode;
  /** Short hint for logs; never key bytes or payload. */
  readonly detail: string;

  /** @param reason - closed reason code; @param detail - short human hint. */
  constructor(reason: ReasonCode, detail: string) {
    super(`${reason}: ${detail}`);
    this.name = 'VerificationFailure';
    this.reason = reason;
    this.detail = detail;
  }
}

/** Throws a {@link VerificationFailure}; `never` lets TypeScript narrow after a failed check. */
export function fail(reason: ReasonCode, detail: string): never {
  throw new VerificationFailure(reason, detail);
}

/** Fails with `reason` unless `condition` holds. */
export function check(condition: boolean, reason: ReasonCode, detail: string): asserts condition {
  if (!condition) fail(reason, detail);
}
