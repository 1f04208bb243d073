/**
 * SMP packet = header + CBOR map, with cbor-x set up the way SMP peers expect: plain maps with
 * definite lengths, byte strings untagged, no cbor-x record extensions.
 */
import { Decoder, Encoder } from 'cbor-x';
import { decodeSmpHeader, encodeSmpHeader, SMP_HEADER_SIZE, type SmpHeader } from './smp-header.js';
import { SmpFrameError } from './smp-frame.js';

const encoder = new Encoder({ useRecords: false, variableMapSize: true, mapsAsObjects: true, tagUint8Array: false });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });

export type SmpBody = Record<string, unknown>;

export interface SmpPacket {
  header: SmpHeader;
  body: SmpBody;
}

export function encodeCbor(body: SmpBody): Uint8Array {
  return new Uint8Array(encoder.encode(body));
}

export function encodeSmpPacket(h: Omit<SmpHeader, 'length'>, body: SmpBody): Uint8Array {
  const cbor = encodeCbor(body);
  const out = new Uint8Array(SMP_HEADER_SIZE + cbor.length);
  out.set(encodeSmpHeader({ ...h, length: cbor.length }), 0);
  out.set(cbor, SMP_HEADER_SIZE);
  return out;
}

/** Header + CBOR map; SmpFrameError BadLength when the header's length disagrees or the body is not a map. */
export function decodeSmpPacket(packet: Uint8Array): SmpPacket {
  if (packet.length < SMP_HEADER_SIZE) throw new SmpFrameError('BadLength', `SMP packet of ${packet.length} bytes is shorter than its header`);
  const header = decodeSmpHeader(packet);
  if (header.length !== packet.length - SMP_HEADER_SIZE) {
    throw new SmpFrameError('BadLength', `SMP header says ${header.length} body bytes, packet has ${packet.length - SMP_HEADER_SIZE}`);
  }
  let body: unknown;
  try {
    body = decoder.decode(packet.subarray(SMP_HEADER_SIZE));
  } catch (e) {
    throw new SmpFrameError('BadLength', `SMP body is not valid CBOR: ${(e as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body) || body instanceof Uint8Array || body instanceof Map) {
    throw new SmpFrameError('BadLength', 'SMP body is not a CBOR map with text keys');
  }
  return { header, body: body as SmpBody };
}
