/**
 * Protocol name → a fresh FlashProtocol. One line per protocol; `signer flash --protocol` and the
 * benchmark look protocols up here and nowhere else.
 */
import type { FlashProtocol, ProtocolName } from '../protocol.types.js';
import { FlashError } from '../flash-error.js';
import { EspProtocol } from './esp/esp-protocol.js';
import { SmpProtocol } from './smp/smp-protocol.js';
import { Stm32Protocol } from './stm32/stm32-protocol.js';

export const PROTOCOL_NAMES: readonly ProtocolName[] = ['smp', 'stm32', 'esp'];

const FACTORIES: Partial<Record<ProtocolName, () => FlashProtocol>> = {
  smp: () => new SmpProtocol(),
  stm32: () => new Stm32Protocol(),
  esp: () => new EspProtocol(),
};

/** Registers a protocol (used by modules that add one). */
export function registerProtocol(name: ProtocolName, factory: () => FlashProtocol): void {
  FACTORIES[name] = factory;
}

export function createProtocol(name: string): FlashProtocol {
  const factory = FACTORIES[name as ProtocolName];
  if (!factory) throw new FlashError('Protocol', `unknown or unavailable protocol "${name}"; use --protocol ${PROTOCOL_NAMES.filter((n) => FACTORIES[n]).join('|')}`);
  return factory();
}
