/**
 * The contract every serial flashing protocol implements so `signer flash` (flash-command.ts) drives
 * SMP, STM32 AN3155 and the Espressif ROM loader alike.
 */
import type { SerialTransport } from './serial-transport.js';

export type ProtocolName = 'smp' | 'stm32' | 'esp';

/** What the board told us about itself when we connected. */
export interface BoardInfo {
  /** Human-readable chip or boot loader name, e.g. "MCUboot serial recovery", "STM32F10xxx MD", "ESP32". */
  chip: string;
  /** Bytes available for the image at the chosen target (the slot or flash size), when the board says. */
  flashSize?: number;
  details: Record<string, unknown>;
}

/** Where the image goes: an absolute flash address (stm32, esp) or an image slot number (smp). */
export interface FlashTarget {
  address?: number;
  slot?: number;
  /** Hex digest the image check computed (MCUboot image hash TLV…), when known: protocols compare it with what the board reports. */
  imageDigest?: string;
}

export interface ConnectOptions {
  baudRate: number;
  /** Per-request answer timeout in ms (each protocol retries a bounded number of times). */
  timeoutMs?: number;
  /** Bounded retries of one request on a timeout or a checksum error. */
  retries?: number;
  /** Chip the user expects (e.g. `--chip`); a different answer is FlashError UnexpectedChip. */
  expectChip?: string;
  /** Line rate to move to after sync where the protocol can (esp CHANGE_BAUDRATE). */
  fastBaudRate?: number;
  /** Make the new image permanent where the protocol has test/confirm (SMP); default: test (reverts unless confirmed). */
  confirm?: boolean;
  /** How long to wait for the board to come back after a reset, in ms. */
  bootTimeoutMs?: number;
  /** Log of what the protocol does (one line each), for `--verbose` and tests. */
  log?: (line: string) => void;
}

export type ProgressFn = (done: number, total: number) => void;

export interface FlashProtocol {
  readonly name: ProtocolName;
  /** Line parity the boot loader expects on a real UART (STM32 AN3155: 'even'); default 'none'. */
  readonly parity?: 'none' | 'even';
  connect(t: SerialTransport, o: ConnectOptions): Promise<BoardInfo>;
  write(image: Uint8Array, target: FlashTarget, progress: ProgressFn): Promise<void>;
  /** Read-back or hash check of what was written; FlashError VerifyMismatch when it differs. */
  verify(image: Uint8Array, target: FlashTarget): Promise<void>;
  /** Start the new image (reset, Go, run user code); FlashError InvalidImage when the board reports it refused it. */
  boot(target?: FlashTarget): Promise<void>;
  /** Goodput in bytes/s of image data at this line rate after framing and encoding overhead. */
  theoreticalBytesPerSecond(baud: number): number;
}
