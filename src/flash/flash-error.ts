/**
 * The one error type of `signer flash`. `code` is closed; the message always says what to do next
 * (which option to change, what to check on the bench).
 */
export type FlashErrorCode =
  | 'NoSuchPort'
  | 'PortBusy'
  | 'Timeout'
  | 'Nack'
  | 'Checksum'
  | 'ImageTooLarge'
  | 'UnexpectedChip'
  | 'ReadoutProtected'
  | 'VerifyMismatch'
  | 'InvalidImage'
  | 'Protocol';

export const FLASH_ERROR_CODES: readonly FlashErrorCode[] = [
  'NoSuchPort',
  'PortBusy',
  'Timeout',
  'Nack',
  'Checksum',
  'ImageTooLarge',
  'UnexpectedChip',
  'ReadoutProtected',
  'VerifyMismatch',
  'InvalidImage',
  'Protocol',
];

export class FlashError extends Error {
  override readonly name = 'FlashError';
  constructor(
    readonly code: FlashErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** A JSON-safe shape for `--json` output. */
  toJSON(): { code: FlashErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** True for errors worth retrying the same request for (line noise, a board that missed a frame). */
export function isRetryable(error: unknown): boolean {
  return error instanceof FlashError && (error.code === 'Timeout' || error.code === 'Checksum');
}
