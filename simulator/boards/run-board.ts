/**
 * Runs a simulated board on a fresh pty pair: `signer simulate board` and the end-to-end tests call
 * this. Returns the host path to flash against, the board (its flash and boot records), and close().
 */
import type { TrustStoreInput } from '../../firmware-verifier/index.js';
import type { BoardLog, SimulatedBoard } from './board.types.js';
import { PacedLine, type LineFaults } from './paced-line.js';
import { openPtyPair } from './pty-pair.js';
import { EspBoard, type EspBoardOptions } from './esp/esp-board.js';
import { SmpBoard, type SmpBoardOptions } from './smp/smp-board.js';
import { STM32_BITS_PER_CHAR, Stm32Board, type Stm32BoardOptions } from './stm32/stm32-board.js';

export interface RunBoardOptions {
  protocol: string;
  baudRate: number;
  /** Bits per character on the line: 10 (8N1) or 11 (8E1); default: the protocol's (11 for stm32). */
  bitsPerChar?: number;
  /** Keys/roots the board's boot loader trusts. */
  trust: TrustStoreInput;
  faults?: LineFaults;
  log?: BoardLog;
  /** Protocol-specific board settings (slot sizes, chip id, ...). */
  board?: Record<string, unknown>;
}

export interface RunningBoard<B extends SimulatedBoard = SimulatedBoard> {
  hostPath: string;
  hostDevice: string;
  board: B;
  line: PacedLine;
  close(): Promise<void>;
}

type BoardFactory = (o: RunBoardOptions) => SimulatedBoard;

const FACTORIES: Record<string, BoardFactory> = {
  smp: (o) => new SmpBoard({ ...(o.board as Partial<SmpBoardOptions>), trust: o.trust, ...(o.log ? { log: o.log } : {}) }),
  stm32: (o) => new Stm32Board({ ...(o.board as Partial<Stm32BoardOptions>), trust: o.trust, ...(o.log ? { log: o.log } : {}) }),
  esp: (o) => new EspBoard({ romBaud: o.baudRate, ...(o.board as Partial<EspBoardOptions>), trust: o.trust, ...(o.log ? { log: o.log } : {}) }),
};

export const BOARD_PROTOCOLS = (): string[] => Object.keys(FACTORIES);

export function registerBoard(protocol: string, factory: BoardFactory): void {
  FACTORIES[protocol] = factory;
}

export async function runBoard<B extends SimulatedBoard = SimulatedBoard>(o: RunBoardOptions): Promise<RunningBoard<B>> {
  const factory = FACTORIES[o.protocol];
  if (!factory) throw new RangeError(`no simulated board for protocol "${o.protocol}" (have ${Object.keys(FACTORIES).join(', ')})`);
  const board = factory(o) as B;
  const pair = await openPtyPair();
  let line: PacedLine;
  try {
    line = await PacedLine.open(pair.boardPath, { baudRate: o.baudRate, bitsPerChar: o.bitsPerChar ?? (o.protocol === 'stm32' ? STM32_BITS_PER_CHAR : 10), ...(o.faults ? { faults: o.faults } : {}) });
  } catch (e) {
    await pair.close();
    throw e;
  }
  board.attach(line);
  return {
    hostPath: pair.hostPath,
    hostDevice: pair.hostDevice,
    board,
    line,
    async close() {
      await line.close();
      await pair.close();
    },
  };
}
