/**
 * The orchestrator behind `signer flash`: check the image with firmware-verifier (refuse an invalid
 * one unless forced), open the port, connect, check the size against the target, write with
 * progress, verify (read-back or hash), boot. Returns a JSON-safe result; failures are FlashError.
 */
import type { VerifyResult } from '../../firmware-verifier/index.js';
import { FlashError } from './flash-error.js';
import { checkImage, type ImageCheckSpec } from './image-check.js';
import type { BoardInfo, ConnectOptions, FlashProtocol, FlashTarget, ProtocolName } from './protocol.types.js';
import { createProtocol } from './protocols/registry.js';
import { SerialTransport } from './serial-transport.js';

export interface FlashOptions {
  port: string;
  baudRate: number;
  protocol: ProtocolName | FlashProtocol;
  image: Uint8Array;
  target?: FlashTarget;
  /** How to check the image before writing; without it only --force lets the flash proceed. */
  check?: ImageCheckSpec;
  /** Write even if the check fails (the board's boot loader will still refuse an invalid image). */
  force?: boolean;
  /** Skip read-back/hash verification (not recommended). */
  noVerify?: boolean;
  /** Skip boot/reset at the end. */
  noBoot?: boolean;
  /** Line parity; default: what the protocol asks for (even for stm32). */
  parity?: 'none' | 'even';
  connect?: Omit<ConnectOptions, 'baudRate'>;
  /** Called as bytes are written (the CLI draws the progress bar from it). */
  onProgress?: (done: number, total: number) => void;
  /** Phase changes: 'check', 'connect', 'write', 'verify', 'boot'. */
  onPhase?: (phase: FlashPhase, detail?: string) => void;
}

export type FlashPhase = 'check' | 'connect' | 'write' | 'verify' | 'boot';

export interface FlashResult {
  port: string;
  protocol: ProtocolName;
  board: BoardInfo;
  target: FlashTarget;
  bytes: number;
  /** Image check outcome (absent when no check was asked for and --force was given). */
  imageCheck?: VerifyResult;
  forced: boolean;
  writeSeconds: number;
  bytesPerSecond: number;
  verified: boolean;
  booted: boolean;
}

export async function flashImage(o: FlashOptions): Promise<FlashResult> {
  const protocol = typeof o.protocol === 'string' ? createProtocol(o.protocol) : o.protocol;
  let target: FlashTarget = o.target ?? {};
  o.onPhase?.('check');
  let imageCheck: VerifyResult | undefined;
  if (o.check) {
    imageCheck = checkImage(o.image, o.check);
    if (!imageCheck.ok && !o.force) {
      throw new FlashError('InvalidImage', `the image fails the ${o.check.format} check (${imageCheck.reason}: ${imageCheck.detail}); the board would refuse it. Sign it with the right key or fix the trust options (--key/--cert); --force writes it anyway`, { reason: imageCheck.reason });
    }
    if (imageCheck.ok) target = { ...target, imageDigest: imageCheck.info.digest };
  } else if (!o.force) {
    throw new FlashError('InvalidImage', 'no trust given to check the image; pass --format and --key/--cert (as for `signer verify`), or --force to write it unchecked');
  }
  o.onPhase?.('connect', o.port);
  const parity = o.parity ?? protocol.parity;
  const transport = await SerialTransport.open(o.port, { baudRate: o.baudRate, ...(parity ? { parity } : {}) });
  try {
    const board = await protocol.connect(transport, { baudRate: o.baudRate, ...o.connect });
    if (board.flashSize !== undefined && o.image.length > board.flashSize) {
      throw new FlashError('ImageTooLarge', `the image is ${o.image.length} bytes but the target holds ${board.flashSize}; pick another --slot/--address or a smaller image`, { size: o.image.length, capacity: board.flashSize });
    }
    o.onPhase?.('write', `${o.image.length} bytes`);
    const started = performance.now();
    await protocol.write(o.image, target, (done, total) => o.onProgress?.(done, total));
    const writeSeconds = (performance.now() - started) / 1000;
    let verified = false;
    if (!o.noVerify) {
      o.onPhase?.('verify');
      await protocol.verify(o.image, target);
      verified = true;
    }
    let booted = false;
    if (!o.noBoot) {
      o.onPhase?.('boot');
      await protocol.boot(target);
      booted = true;
    }
    return {
      port: o.port,
      protocol: protocol.name,
      board,
      target,
      bytes: o.image.length,
      ...(imageCheck ? { imageCheck } : {}),
      forced: Boolean(o.force) && !(imageCheck?.ok ?? false),
      writeSeconds,
      bytesPerSecond: writeSeconds > 0 ? o.image.length / writeSeconds : 0,
      verified,
      booted,
    };
  } finally {
    await transport.close();
  }
}
