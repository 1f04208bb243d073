/**
 * ZIP archive records this platform reads and writes (PKWARE APPNOTE.TXT 6.3.x §4.3). Every constant
 * is defined here once. Little-endian. ZIP64 is not supported: Lambda packages stay far below 4 GiB.
 */
import { crc32, deflateRawSync } from 'node:zlib';

/** Record signatures. [APPNOTE 4.3.7, 4.3.12, 4.3.16] */
export const LOCAL_FILE_HEADER_SIG = 0x04034b50;
export const CENTRAL_DIRECTORY_SIG = 0x02014b50;
export const END_OF_CENTRAL_DIRECTORY_SIG = 0x06054b50;
/** Fixed sizes of the three records (before their variable parts). */
export const LOCAL_FILE_HEADER_SIZE = 30;
export const CENTRAL_DIRECTORY_HEADER_SIZE = 46;
export const END_OF_CENTRAL_DIRECTORY_SIZE = 22;
/** The EOCD comment is at most 65535 bytes, so the EOCD starts within this many bytes of the end. */
export const MAX_EOCD_SEARCH = END_OF_CENTRAL_DIRECTORY_SIZE + 0xffff;
/** Compression methods accepted. [APPNOTE 4.4.5] */
export const METHOD = Object.freeze({ STORED: 0, DEFLATED: 8 });
/** General purpose flag bits. [APPNOTE 4.4.4] */
export const FLAG = Object.freeze({ ENCRYPTED: 0x0001, DATA_DESCRIPTOR: 0x0008, UTF8: 0x0800 });
/** `version needed to extract` / `version made by` written for new entries (2.0: deflate, directories). */
export const VERSION_20 = 20;
/** A count or offset field set to all ones announces ZIP64. */
export const ZIP64_MARKER_16 = 0xffff;
export const ZIP64_MARKER_32 = 0xffffffff;

/** End of central directory record. */
export interface EndOfCentralDirectory {
  /** offset of the EOCD record in the archive */
  offset: number;
  entries: number;
  cdSize: number;
  cdOffset: number;
  comment: Uint8Array;
}

/** One central directory entry (the fields this platform uses). */
export interface CentralEntry {
  name: Uint8Array;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/** Failure to read an archive: the caller turns it into a PlatformInputError. */
export class ZipFormatError extends Error {
  override readonly name = 'ZipFormatError';
}

/**
 * Finds the EOCD in the last bytes of an archive (`tail` holds bytes `[tailStart, archiveSize)`):
 * the last EOCD signature whose comment ends exactly at the end of the archive.
 */
export function findEndOfCentralDirectory(tail: Uint8Array, tailStart: number, archiveSize: number): EndOfCentralDirectory {
  const b = Buffer.from(tail.buffer, tail.byteOffset, tail.length);
  for (let p = b.length - END_OF_CENTRAL_DIRECTORY_SIZE; p >= 0 && b.length - p <= MAX_EOCD_SEARCH; p--) {
    if (b.readUInt32LE(p) !== END_OF_CENTRAL_DIRECTORY_SIG) continue;
    const commentLength = b.readUInt16LE(p + 20);
    if (p + END_OF_CENTRAL_DIRECTORY_SIZE + commentLength !== b.length) continue;
    const disk = b.readUInt16LE(p + 4);
    const cdDisk = b.readUInt16LE(p + 6);
    const entriesHere = b.readUInt16LE(p + 8);
    const entries = b.readUInt16LE(p + 10);
    const cdSize = b.readUInt32LE(p + 12);
    const cdOffset = b.readUInt32LE(p + 16);
    if (disk !== 0 || cdDisk !== 0 || entriesHere !== entries) throw new ZipFormatError('multi-disk archives are not supported');
    if (entries === ZIP64_MARKER_16 || cdSize === ZIP64_MARKER_32 || cdOffset === ZIP64_MARKER_32) {
      throw new ZipFormatError('ZIP64 archives are not supported');
    }
    const offset = tailStart + p;
    if (cdOffset + cdSize !== offset) throw new ZipFormatError('central directory does not end where the end-of-central-directory record starts');
    return { offset, entries, cdSize, cdOffset, comment: new Uint8Array(b.subarray(p + 22)) };
  }
  throw new ZipFormatError(archiveSize < END_OF_CENTRAL_DIRECTORY_SIZE ? 'too short to be a zip file' : 'no end-of-central-directory record: not a zip file');
}

/** Parses the central directory bytes into entries, checking every record's bounds. */
export function parseCentralDirectory(cd: Uint8Array, expectedEntries: number): CentralEntry[] {
  const b = Buffer.from(cd.buffer, cd.byteOffset, cd.length);
  const entries: CentralEntry[] = [];
  let p = 0;
  while (p < b.length) {
    if (p + CENTRAL_DIRECTORY_HEADER_SIZE > b.length || b.readUInt32LE(p) !== CENTRAL_DIRECTORY_SIG) {
      throw new ZipFormatError(`bad central directory record at entry ${entries.length}`);
    }
    const nameLength = b.readUInt16LE(p + 28);
    const extraLength = b.readUInt16LE(p + 30);
    const commentLength = b.readUInt16LE(p + 32);
    const next = p + CENTRAL_DIRECTORY_HEADER_SIZE + nameLength + extraLength + commentLength;
    if (next > b.length) throw new ZipFormatError(`central directory record ${entries.length} runs past the directory`);
    const entry: CentralEntry = {
      name: new Uint8Array(b.subarray(p + CENTRAL_DIRECTORY_HEADER_SIZE, p + CENTRAL_DIRECTORY_HEADER_SIZE + nameLength)),
      flags: b.readUInt16LE(p + 8),
      method: b.readUInt16LE(p + 10),
      crc32: b.readUInt32LE(p + 16),
      compressedSize: b.readUInt32LE(p + 20),
      uncompressedSize: b.readUInt32LE(p + 24),
      localHeaderOffset: b.readUInt32LE(p + 42),
    };
    if (entry.compressedSize === ZIP64_MARKER_32 || entry.uncompressedSize === ZIP64_MARKER_32 || entry.localHeaderOffset === ZIP64_MARKER_32) {
      throw new ZipFormatError('ZIP64 entries are not supported');
    }
    entries.push(entry);
    p = next;
  }
  if (entries.length !== expectedEntries) {
    throw new ZipFormatError(`central directory holds ${entries.length} entries, the end record says ${expectedEntries}`);
  }
  return entries;
}

/** MS-DOS date and time of a moment (UTC; 2-second resolution; 1980..2107). [APPNOTE 4.4.6] */
export function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.min(Math.max(d.getUTCFullYear(), 1980), 2107);
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/** A new entry, ready to write: its local record (header + data) and its central directory record. */
export interface NewEntry {
  local: Uint8Array;
  central: Uint8Array;
}

/**
 * Builds a new archive entry at `offset`: a directory (name ends with `/`, stored, empty) or a file
 * (deflated). No data descriptor: sizes and CRC are known up front.
 */
export function buildEntry(name: string, data: Uint8Array, offset: number, modified: Date): NewEntry {
  const nameBytes = Buffer.from(name, 'utf8');
  const directory = name.endsWith('/');
  const method = directory ? METHOD.STORED : METHOD.DEFLATED;
  const stored = directory ? Buffer.alloc(0) : deflateRawSync(data);
  const crc = directory ? 0 : crc32(data) >>> 0;
  const { time, date } = dosDateTime(modified);
  const local = Buffer.alloc(LOCAL_FILE_HEADER_SIZE + nameBytes.length);
  local.writeUInt32LE(LOCAL_FILE_HEADER_SIG, 0);
  local.writeUInt16LE(VERSION_20, 4);
  local.writeUInt16LE(0, 6);
  local.writeUInt16LE(method, 8);
  local.writeUInt16LE(time, 10);
  local.writeUInt16LE(date, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(stored.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  local.writeUInt16LE(0, 28);
  nameBytes.copy(local, LOCAL_FILE_HEADER_SIZE);
  const central = Buffer.alloc(CENTRAL_DIRECTORY_HEADER_SIZE + nameBytes.length);
  central.writeUInt32LE(CENTRAL_DIRECTORY_SIG, 0);
  central.writeUInt16LE(VERSION_20, 4);
  central.writeUInt16LE(VERSION_20, 6);
  central.writeUInt16LE(0, 8);
  central.writeUInt16LE(method, 10);
  central.writeUInt16LE(time, 12);
  central.writeUInt16LE(date, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(stored.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  // extra 0, comment 0, disk 0, internal attrs 0
  central.writeUInt32LE(directory ? 0x10 : 0, 38); // MS-DOS directory attribute
  central.writeUInt32LE(offset, 42);
  nameBytes.copy(central, CENTRAL_DIRECTORY_HEADER_SIZE);
  return { local: new Uint8Array(Buffer.concat([local, stored])), central: new Uint8Array(central) };
}

/** An end-of-central-directory record. */
export function buildEndOfCentralDirectory(entries: number, cdSize: number, cdOffset: number, comment: Uint8Array): Uint8Array {
  const b = Buffer.alloc(END_OF_CENTRAL_DIRECTORY_SIZE);
  b.writeUInt32LE(END_OF_CENTRAL_DIRECTORY_SIG, 0);
  b.writeUInt16LE(entries, 8);
  b.writeUInt16LE(entries, 10);
  b.writeUInt32LE(cdSize, 12);
  b.writeUInt32LE(cdOffset, 16);
  b.writeUInt16LE(comment.length, 20);
  return new Uint8Array(Buffer.concat([b, comment]));
}
