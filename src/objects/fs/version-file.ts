/**
 * On-disk format of one immutable object version (and of one multipart part).
 *
 * ```
 * [ body bytes ][ header JSON, UTF-8 ][ magic "OBJ1" ][ header length, uint32 BE ]
 * ```
 *
 * Body first, header last: the header (size, etag, ...) is only known once the
 * body has been streamed, and keeping both in one file means a single
 * `rename()` publishes a version atomically. A file whose trailer or header does
 * not parse is treated as corrupt, never as an object.
 *
 * @packageDocumentation
 */
import type { FileHandle } from 'node:fs/promises';
import { ObjectsError } from '../objects-error.js';

/** Trailer magic, defined once. */
export const VERSION_FILE_MAGIC = Buffer.from('OBJ1', 'ascii');
/** Bytes in the trailer (magic + header length). */
export const VERSION_FILE_TRAILER_BYTES = 8;
/** Upper bound on header size; metadata is small (S3 allows 2 KB of user metadata). */
const MAX_HEADER_BYTES = 64 * 1024;

/** The header stored after the body. */
export interface VersionHeader {
  /** Object key (empty for multipart parts). */
  readonly key: string;
  readonly versionId: string;
  readonly size: number;
  readonly etag: string;
  readonly contentType: string;
  /** Milliseconds since the epoch. */
  readonly lastModified: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly deleteMarker: boolean;
}

/** Appends header and trailer after `size` body bytes already written at offset 0. */
export async function writeVersionTrailer(fh: FileHandle, header: VersionHeader): Promise<void> {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > MAX_HEADER_BYTES) throw new ObjectsError('InvalidArgument', 'Object metadata is too large.');
  const trailer = Buffer.alloc(VERSION_FILE_TRAILER_BYTES);
  VERSION_FILE_MAGIC.copy(trailer, 0);
  trailer.writeUInt32BE(json.length, 4);
  await fh.write(Buffer.concat([json, trailer]), 0, json.length + trailer.length, header.size);
}

/** Reads and checks the header of an open version file. */
export async function readVersionHeader(fh: FileHandle): Promise<VersionHeader> {
  const { size: fileSize } = await fh.stat();
  const corrupt = (): ObjectsError => new ObjectsError('InternalError', 'Stored object is corrupt.');
  if (fileSize < VERSION_FILE_TRAILER_BYTES) throw corrupt();
  const trailer = Buffer.alloc(VERSION_FILE_TRAILER_BYTES);
  await fh.read(trailer, 0, trailer.length, fileSize - trailer.length);
  if (!trailer.subarray(0, 4).equals(VERSION_FILE_MAGIC)) throw corrupt();
  const headerLength = trailer.readUInt32BE(4);
  if (headerLength > MAX_HEADER_BYTES || headerLength > fileSize - trailer.length) throw corrupt();
  const json = Buffer.alloc(headerLength);
  await fh.read(json, 0, headerLength, fileSize - trailer.length - headerLength);
  let header: VersionHeader;
  try {
    header = JSON.parse(json.toString('utf8')) as VersionHeader;
  } catch {
    throw corrupt();
  }
  // The body must end exactly where the header begins.
  if (typeof header !== 'object' || header === null || header.size !== fileSize - trailer.length - headerLength) throw corrupt();
  return header;
}
