/** What every simulated board (simulator/boards/<protocol>/) offers the runner and the tests. */
import type { PacedLine } from './paced-line.js';

export interface BootedImage {
  /** Where the image that runs was found (slot number or flash address). */
  slot?: number;
  address?: number;
  /** Hex digest the verifier computed over the image. */
  digest?: string;
  version?: string;
  size?: number;
}

export interface BootResult {
  booted: boolean;
  /** Why the boot loader did not boot (or why it reverted): verifier reason code and detail. */
  reason?: string;
  image?: BootedImage;
}

export interface SimulatedBoard {
  readonly protocol: string;
  /** Starts answering on the line (bytes in → protocol engine → bytes out). */
  attach(line: PacedLine): void;
  /** Runs the boot loader's checks on what is in flash now, the way that board's boot loader would. */
  boot(): BootResult;
}

/** One line of "what the board sees", for `signer simulate board` logs and tests. */
export type BoardLog = (line: string) => void;
