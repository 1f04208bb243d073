import { Inflate } from 'fflate';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes, u16le, u32le } from '../bytes.js';
import { crc32Update } from '../crc32.js';
import { check, fail, VerificationFailure } from '../verification-failure.js';

/** ZIP wire constants (PKWARE APPNOTE.TXT §4.3.7, §4.3.12, §4.3.16, §4.4), defined once. */
export const ZIP = Object.freeze({
  LOCAL_HEADER_SIGNATURE: 0x04034b50,
  CENTRAL_HEADER_SIGNATURE: 0x02014b50,
  END_OF_CENTRAL_DIRECTORY_SIGNATURE: 0x06054b50,
  SIGNATURE_SIZE: 4,
  LOCAL_HEADER_SIZE: 30,
  CENTRAL_HEADER_SIZE: 46,
  END_OF_CENTRAL_DIRECTORY_SIZE: 22,
  FLAG_ENCRYPTED: 0x0001,
  FLAG_DATA_DESCRIPTOR: 0x0008,
  METHOD_STORED: 0,
  METHOD_DEFLATED: 8,
  ZIP64_MARKER: 0xffffffff,
  /** Longest entry name accepted (names are hashed, so they are kept whole). */
  MAX_NAME: 4096,
});

/** What the walker reports to its consumer, in archive (local header) order. */
export interface ZipSink {
  /** A new entry starts (its name, before any of its body). */
  entry(name: Uint8Array): void;
  /** Uncompressed bytes of the current entry. */
  body(bytes: Uint8Array): void;
}

/** The fields a local header and its central directory record must agree on. */
interface EntryFields {
  readonly flags: number;
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly nameLength: number;
}

type State =
  | { readonly kind: 'fixed'; readonly size: number; filled: number; readonly then: (bytes: Uint8Array) => State }
  | { readonly kind: 'stream'; remaining: number; readonly sink: (piece: Uint8Array) => void; readonly then: () => State }
  | { readonly kind: 'end' };

/**
 * Streams a ZIP archive: local entries in order (inflated on the fly, CRC-32 and size checked),
 * then the central directory, which must describe exactly the entries seen (offsets, names,
 * sizes, CRCs, flags, method; hashed record by record and compared), then the end record, after
 * which nothing may follow. This closes the "two views of one zip" gap: whatever another unzip
 * reads through the central directory is what was verified. Data descriptors, ZIP64, encryption
 * and multi-disk archives are refused. Holds a 46-byte header, one name and the inflate window.
 */
export function createZipWalker(sink: ZipSink): { update(chunk: Uint8Array): void; readonly done: boolean } {
  const scratch = new Uint8Array(ZIP.CENTRAL_HEADER_SIZE);
  let position = 0;
  let entries = 0;
  let centralEntries = 0;
  let centralStart = -1;
  let localRecords = sha256.create();
  const centralRecords = sha256.create();
  let crc = 0;
  let produced = 0;
  let inflater: Inflate | undefined;

  const fixed = (size: number, then: (bytes: Uint8Array) => State): State => ({ kind: 'fixed', size, filled: 0, then });
  const stream = (remaining: number, onPiece: (piece: Uint8Array) => void, then: () => State): State => ({ kind: 'stream', remaining, sink: onPiece, then });
  const ignore = (): void => undefined;

  const record = (hash: ReturnType<typeof sha256.create>, offset: number, fields: EntryFields, name: Uint8Array): void => {
    const head = new Uint8Array(24);
    const dv = new DataView(head.buffer);
    [offset, fields.flags, fields.method, fields.crc, fields.compressedSize, fields.size].forEach((v, i) => dv.setUint32(i * 4, v, true));
    hash.update(head);
    hash.update(name);
  };

  const readFields = (bytes: Uint8Array, at: number): EntryFields => ({
    flags: u16le(bytes, at),
    method: u16le(bytes, at + 2),
    crc: u32le(bytes, at + 8),
    compressedSize: u32le(bytes, at + 12),
    size: u32le(bytes, at + 16),
    nameLength: u16le(bytes, at + 20),
  });

  const checkFields = (fields: EntryFields): void => {
    check((fields.flags & (ZIP.FLAG_ENCRYPTED | ZIP.FLAG_DATA_DESCRIPTOR)) === 0, 'UnsupportedAlgorithm', 'encrypted or data-descriptor zip entry');
    check(fields.method === ZIP.METHOD_STORED || fields.method === ZIP.METHOD_DEFLATED, 'UnsupportedAlgorithm', 'zip compression method');
    check(fields.compressedSize !== ZIP.ZIP64_MARKER && fields.size !== ZIP.ZIP64_MARKER, 'UnsupportedAlgorithm', 'zip64 entry');
    check(fields.method === ZIP.METHOD_DEFLATED || fields.compressedSize === fields.size, 'BadHeader', 'stored entry sizes differ');
    check(fields.nameLength <= ZIP.MAX_NAME, 'Oversize', 'zip entry name too long');
  };

  const deliver = (bytes: Uint8Array): void => {
    crc = crc32Update(crc, bytes);
    produced += bytes.length;
    sink.body(bytes);
  };

  const feed = (piece: Uint8Array, final: boolean): void => {
    if (inflater === undefined) {
      deliver(piece);
      return;
    }
    try {
      inflater.push(piece, final);
    } catch (error) {
      // Our own checks (e.g. an oversize signature entry) pass through; fflate's errors mean corrupt data.
      if (error instanceof VerificationFailure) throw error;
      fail('BadCrc', 'corrupt deflate data');
    }
  };

  const signature = (): State =>
    fixed(ZIP.SIGNATURE_SIZE, (bytes) => {
      const value = u32le(bytes, 0);
      const at = position - ZIP.SIGNATURE_SIZE;
      if (value === ZIP.LOCAL_HEADER_SIGNATURE && centralStart < 0) return fixed(ZIP.LOCAL_HEADER_SIZE - 4, (h) => localHeader(h, at));
      if (value === ZIP.CENTRAL_HEADER_SIGNATURE) {
        if (centralStart < 0) centralStart = at;
        return fixed(ZIP.CENTRAL_HEADER_SIZE - 4, centralHeader);
      }
      if (value === ZIP.END_OF_CENTRAL_DIRECTORY_SIGNATURE) return fixed(ZIP.END_OF_CENTRAL_DIRECTORY_SIZE - 4, (e) => endRecord(e, at));
      fail('BadMagic', 'zip record signature');
    });

  /** Streams a file name of `length` bytes (local or central header) into one buffer, then continues. */
  const collectName = (length: number, then: (name: Uint8Array) => State): State => {
    const name = new Uint8Array(length);
    let filled = 0;
    return stream(
      length,
      (piece) => {
        name.set(piece, filled);
        filled += piece.length;
      },
      () => then(name),
    );
  };

  // Local header without its signature: fields start at offset 2 (after "version needed").
  const localHeader = (h: Uint8Array, at: number): State => {
    const fields = readFields(h, 2);
    checkFields(fields);
    const extraLength = u16le(h, 24);
    return collectName(fields.nameLength, (name) =>
        stream(extraLength, ignore, () => {
          entries++;
          record(localRecords, at, fields, name);
          sink.entry(name);
          crc = 0;
          produced = 0;
          inflater = fields.method === ZIP.METHOD_DEFLATED ? new Inflate((data) => deliver(data)) : undefined;
          if (fields.compressedSize === 0) return endData(fields, new Uint8Array(0));
          return stream(fields.compressedSize, (piece) => feed(piece, false), () => endData(fields, new Uint8Array(0)));
        }),
    );
  };

  const endData = (fields: EntryFields, last: Uint8Array): State => {
    feed(last, true);
    check(produced === fields.size, 'BadLength', 'zip entry size differs from its header');
    check(crc === fields.crc, 'BadCrc', 'zip entry CRC-32');
    return signature();
  };

  // Central header without its signature: flags at 4, name length at 24, extra 26, comment 28, disk 30, offset 38.
  const centralHeader = (h: Uint8Array): State => {
    const fields = readFields(h, 4);
    checkFields(fields);
    const skip = u16le(h, 26) + u16le(h, 28);
    const offset = u32le(h, 38);
    check(u16le(h, 30) === 0, 'UnsupportedAlgorithm', 'multi-disk zip');
    return collectName(fields.nameLength, (name) =>
        stream(skip, ignore, () => {
          centralEntries++;
          record(centralRecords, offset, fields, name);
          return signature();
        }),
    );
  };

  const endRecord = (e: Uint8Array, at: number): State => {
    const directoryStart = centralStart < 0 ? at : centralStart;
    check(u16le(e, 0) === 0 && u16le(e, 2) === 0, 'UnsupportedAlgorithm', 'multi-disk zip');
    check(
      u16le(e, 4) === entries && u16le(e, 6) === entries && centralEntries === entries && u32le(e, 12) === directoryStart && u32le(e, 8) === at - directoryStart,
      'BadHeader',
      'central directory counts or offsets differ from the entries',
    );
    check(equalBytes(localRecords.digest(), centralRecords.digest()), 'BadHeader', 'central directory differs from the local headers');
    localRecords = sha256.create();
    return stream(u16le(e, 16), ignore, () => ({ kind: 'end' }));
  };

  let state: State = signature();

  const update = (chunk: Uint8Array): void => {
    let offset = 0;
    while (offset < chunk.length) {
      const s: State = state;
      check(s.kind !== 'end', 'BadLength', 'data after the end of the zip');
      if (s.kind === 'fixed') {
        const take = Math.min(s.size - s.filled, chunk.length - offset);
        scratch.set(chunk.subarray(offset, offset + take), s.filled);
        s.filled += take;
        offset += take;
        position += take;
        if (s.filled === s.size) state = s.then(scratch.slice(0, s.size));
      } else {
        const take = Math.min(s.remaining, chunk.length - offset);
        s.sink(chunk.subarray(offset, offset + take));
        s.remaining -= take;
        offset += take;
        position += take;
        if (s.remaining === 0) state = s.then();
      }
      // Zero-length streams (empty names, extras, comments) complete without input.
      while (state.kind === 'stream' && state.remaining === 0) state = state.then();
    }
  };

  return {
    update,
    get done(): boolean {
      return state.kind === 'end';
    },
  };
}
