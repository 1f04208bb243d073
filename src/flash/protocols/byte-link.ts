import type { SerialTransport } from '../serial-transport.js';

/**
 * The part of `SerialTransport` a protocol conversation uses. Protocols take this narrower type so a
 * conversation can also run over any other duplex byte stream with the same semantics.
 */
export type ByteLink = Pick<SerialTransport, 'write' | 'read' | 'readUntil' | 'discardInput' | 'setBaudRate'>;
