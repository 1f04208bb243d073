/**
 * Test harness for the simulated STM32 and ESP32 boards: a socat pty pair, the board's paced line on
 * one end, the host path for the tool (or stm32flash / esptool-js) on the other.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createTrustStore, type TrustStore } from '../../firmware-verifier/index.js';
import type { BootResult } from '../../simulator/boards/board.types.js';
import { EspBoard, type EspBoardOptions } from '../../simulator/boards/esp/esp-board.js';
import { PacedLine, type LineFaults } from '../../simulator/boards/paced-line.js';
import { openPtyPair } from '../../simulator/boards/pty-pair.js';
import { Stm32Board, type Stm32BoardOptions } from '../../simulator/boards/stm32/stm32-board.js';

export const VECTORS = new URL('../vectors/bootloaders/', import.meta.url);
export const vector = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, VECTORS)));

/** The MCUboot test key's public half (test/vectors/bootloaders/mcuboot/keys/root-ec-p256.pem). */
export function mcubootTrust(): TrustStore {
  const pub = createPublicKey(readFileSync(new URL('mcuboot/keys/root-ec-p256.pem', VECTORS))).export({ type: 'spki', format: 'pem' }).toString();
  return createTrustStore({ publicKeys: [pub] });
}

/** The esptool Secure Boot V2 test key (ECDSA P-256), as an eFuse key digest would trust it. */
export function sbv2Trust(): TrustStore {
  const pub = readFileSync(new URL('esp32-sbv2/esptool-fixtures/ecdsa256_secure_boot_signing_pubkey.pem', VECTORS), 'utf8');
  return createTrustStore({ publicKeys: [pub] });
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

async function run<B extends Stm32Board | EspBoard>(make: (log: (l: string) => void) => B, line: { baudRate: number; bitsPerChar: number; faults?: LineFaults; paceReads?: boolean }): Promise<RunningBoard<B>> {
  const pair = await openPtyPair();
  const log: string[] = [];
  const board = make((l) => log.push(l));
  const paced = await PacedLine.open(pair.boardPath, { baudRate: line.baudRate, bitsPerChar: line.bitsPerChar, ...(line.faults ? { faults: line.faults } : {}), ...(line.paceReads === undefined ? {} : { paceReads: line.paceReads }) });
  board.attach(paced);
  return {
    hostPath: pair.hostPath,
    board,
    line: paced,
    log,
    nextBoot: () => new Promise<BootResult>((resolve) => (board as Stm32Board).once('boot', resolve)),
    async close() {
      await paced.close();
      await pair.close();
    },
  };
}

export function startStm32Board(o: Partial<Stm32BoardOptions> & { baudRate?: number; faults?: LineFaults; paceReads?: boolean } = {}): Promise<RunningBoard<Stm32Board>> {
  const { baudRate = 115200, faults, paceReads, ...board } = o;
  return run((log) => new Stm32Board({ trust: mcubootTrust(), log, ...board }), { baudRate, bitsPerChar: 11, ...(faults ? { faults } : {}), ...(paceReads === undefined ? {} : { paceReads }) });
}

export function startEspBoard(o: Partial<EspBoardOptions> & { baudRate?: number; faults?: LineFaults; paceReads?: boolean } = {}): Promise<RunningBoard<EspBoard>> {
  const { baudRate = 115200, faults, paceReads, ...board } = o;
  return run((log) => new EspBoard({ trust: sbv2Trust(), romBaud: baudRate, log, ...board }), { baudRate, bitsPerChar: 10, ...(faults ? { faults } : {}), ...(paceReads === undefined ? {} : { paceReads }) });
}
