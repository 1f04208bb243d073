/**
 * Test harness for the simulated STM32 and ESP32 boards, on top of simulator/boards/run-board.ts
 * (a socat pty pair, the board's paced line on one end, the host path for the tool, stm32flash or
 * esptool-js on the other), plus the boards' trust and a log of what they see.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TrustStoreInput } from '../../firmware-verifier/index.js';
import type { BootResult } from '../../simulator/boards/board.types.js';
import type { EspBoard, EspBoardOptions } from '../../simulator/boards/esp/esp-board.js';
import type { LineFaults, PacedLine } from '../../simulator/boards/paced-line.js';
import { runBoard } from '../../simulator/boards/run-board.js';
import type { Stm32Board, Stm32BoardOptions } from '../../simulator/boards/stm32/stm32-board.js';

export const VECTORS = new URL('../vectors/bootloaders/', import.meta.url);
export const vector = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, VECTORS)));

/** The MCUboot test key's public half (test/vectors/bootloaders/mcuboot/keys/root-ec-p256.pem). */
export function mcubootTrust(): TrustStoreInput {
  const pub = createPublicKey(readFileSync(new URL('mcuboot/keys/root-ec-p256.pem', VECTORS))).export({ type: 'spki', format: 'pem' }).toString();
  return { publicKeys: [pub] };
}

/** The esptool Secure Boot V2 test key (ECDSA P-256), as the eFuse key digest would trust it. */
export function sbv2Trust(): TrustStoreInput {
  return { publicKeys: [readFileSync(new URL('esp32-sbv2/esptool-fixtures/ecdsa256_secure_boot_signing_pubkey.pem', VECTORS), 'utf8')] };
}

export interface RunningBoard<B> {
  hostPath: string;
  board: B;
  line: PacedLine;
  log: string[];
  /** Resolves with the next boot result. */
  nextBoot(): Promise<BootResult>;
  close(): Promise<void>;
}

interface LineOptions {
  baudRate?: number;
  faults?: LineFaults;
}

async function start<B extends Stm32Board | EspBoard>(protocol: 'stm32' | 'esp', trust: TrustStoreInput, o: LineOptions & { board?: Record<string, unknown> }): Promise<RunningBoard<B>> {
  const log: string[] = [];
  const running = await runBoard<B>({ protocol, baudRate: o.baudRate ?? 115200, trust, log: (l) => log.push(l), ...(o.faults ? { faults: o.faults } : {}), ...(o.board ? { board: o.board } : {}) });
  return {
    hostPath: running.hostPath,
    board: running.board,
    line: running.line,
    log,
    nextBoot: () => new Promise<BootResult>((resolve) => (running.board as Stm32Board).once('boot', resolve)),
    close: () => running.close(),
  };
}

export function startStm32Board(o: Partial<Omit<Stm32BoardOptions, 'trust' | 'log'>> & LineOptions = {}): Promise<RunningBoard<Stm32Board>> {
  const { baudRate, faults, ...board } = o;
  return start('stm32', mcubootTrust(), { ...(baudRate ? { baudRate } : {}), ...(faults ? { faults } : {}), board });
}

export function startEspBoard(o: Partial<Omit<EspBoardOptions, 'trust' | 'log'>> & LineOptions = {}): Promise<RunningBoard<EspBoard>> {
  const { baudRate, faults, ...board } = o;
  return start('esp', sbv2Trust(), { ...(baudRate ? { baudRate } : {}), ...(faults ? { faults } : {}), board });
}
