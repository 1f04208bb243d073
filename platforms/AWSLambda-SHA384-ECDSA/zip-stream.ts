import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw, crc32 } from 'node:zlib';
import {
  FLAG,
  LOCAL_FILE_HEADER_SIG,
  LOCAL_FILE_HEADER_SIZE,
  MAX_EOCD_SEARCH,
  METHOD,
  ZipFormatError,
  findEndOfCentralDirectory,
  parseCentralDirectory,
  type CentralEntry,
  type EndOfCentralDirectory,
} from './zip-format.js';

/** Lambda's limit on unzipped deployment packages (250 MB); also caps inflation (zip bombs). */
export const MAX_UNZIPPED_BYTES = 250 * 1024 * 1024;

/** Largest central directory read (it is held in memory): 8 MiB is ~100 000 entries. */
export const MAX_CENTRAL_DIRECTORY_SIZE = 8 * 1024 * 1024;

/** An archive's end record, entries and raw central directory. */
export interface ZipIndex {
  eocd: EndOfCentralDirectory;
  entries: CentralEntry[];
  centralDirectory: Uint8Array;
}

/**
 * Pass 1: reads the archive front to back keeping only its last bytes (a rolling window big enough
 * for the EOCD and a central directory of up to {@link MAX_CENTRAL_DIRECTORY_SIZE}), then parses them.
 */
export async function readZipIndex(source: AsyncIterable<Uint8Array>, size: number): Promise<ZipIndex> {
  const keep = Math.min(size, MAX_EOCD_SEARCH + MAX_CENTRAL_DIRECTORY_SIZE);
  const window: Buffer[] = [];
  let held = 0;
  let read = 0;
  for await (const chunk of source) {
    read += chunk.length;
    if (read > size) break;
    window.push(Buffer.from(chunk));
    held += chunk.length;
    while (window.length > 1 && held - window[0]!.length >= keep) held -= window.shift()!.length;
  }
  if (read !== size) throw new ZipFormatError(`source object changed while signing: expected ${size} bytes, read ${read}`);
  const tail = Buffer.concat(window);
  const tailStart = size - tail.length;
  const eocd = findEndOfCentralDirectory(tail, tailStart, size);
  if (eocd.cdOffset < tailStart) throw new ZipFormatError(`central directory larger than ${MAX_CENTRAL_DIRECTORY_SIZE} bytes`);
  const centralDirectory = new Uint8Array(tail.subarray(eocd.cdOffset - tailStart, eocd.offset - tailStart));
  return { eocd, entries: parseCentralDirectory(centralDirectory, eocd.entries), centralDirectory };
}

/** What pass 2 found. */
export interface EntriesDigest {
  /** SHA-384(name₁ ‖ body₁ ‖ name₂ ‖ body₂ ‖ …) over the uncompressed entries in archive order */
  contentDigest: Uint8Array;
  /** SHA-256 of the whole archive, to check the output pass reads the same bytes */
  archiveSha256: Uint8Array;
  names: string[];
}

/**
 * Pass 2: walks the local records in central-directory order, inflating each body, checking its CRC-32
 * and size, and hashing `name ‖ body` (entries named in `exclude` are skipped, `appendNames` are hashed
 * at the end as empty entries). Total inflated bytes are capped at `maxExpanded` (zip bombs).
 */
export async function digestEntries(
  source: AsyncIterable<Uint8Array>,
  index: ZipIndex,
  opts: { maxExpanded: number; exclude?: string; appendNames?: string[] },
): Promise<EntriesDigest> {
  const archiveHash = createHash('sha256');
  const reader = new StreamReader(source, archiveHash);
  const content = createHash('sha384');
  const seen = new Set<string>();
  let expanded = 0;
  let previousEnd = 0;
  for (const [i, entry] of index.entries.entries()) {
    const name = Buffer.from(entry.name).toString('utf8');
    if (seen.has(name)) throw new ZipFormatError(`duplicate entry "${name}"`);
    seen.add(name);
    if (entry.flags & FLAG.ENCRYPTED) throw new ZipFormatError(`entry "${name}" is encrypted`);
    if (entry.method !== METHOD.STORED && entry.method !== METHOD.DEFLATED) {
      throw new ZipFormatError(`entry "${name}" uses compression method ${entry.method} (only stored and deflated are supported)`);
    }
    if (entry.localHeaderOffset < previousEnd) throw new ZipFormatError(`entry ${i} ("${name}") overlaps the previous entry or is out of order`);
    expanded += entry.uncompressedSize;
    if (expanded > opts.maxExpanded) throw new ZipFormatError(`unzipped contents exceed ${opts.maxExpanded} bytes`);
    await reader.skipTo(entry.localHeaderOffset);
    const header = await reader.read(LOCAL_FILE_HEADER_SIZE);
    if (header.readUInt32LE(0) !== LOCAL_FILE_HEADER_SIG) throw new ZipFormatError(`entry "${name}": bad local file header`);
    const localName = await reader.read(header.readUInt16LE(26));
    if (!localName.equals(Buffer.from(entry.name))) throw new ZipFormatError(`entry "${name}": local header names "${localName.toString('utf8')}"`);
    await reader.skip(header.readUInt16LE(28));
    const body = reader.take(entry.compressedSize);
    if (name === opts.exclude) {
      for await (const _ of body);
    } else {
      content.update(entry.name);
      await hashBody(body, entry, name, content);
    }
    previousEnd = reader.position;
  }
  for (const extra of opts.appendNames ?? []) content.update(Buffer.from(extra, 'utf8'));
  await reader.drain();
  return {
    contentDigest: new Uint8Array(content.digest()),
    archiveSha256: new Uint8Array(archiveHash.digest()),
    names: [...seen],
  };
}

async function hashBody(body: AsyncIterable<Uint8Array>, entry: CentralEntry, name: string, into: Hash): Promise<void> {
  let size = 0;
  let crc = 0;
  const sink = (c: Uint8Array) => {
    size += c.length;
    if (size > entry.uncompressedSize) throw new ZipFormatError(`entry "${name}" inflates beyond its declared ${entry.uncompressedSize} bytes`);
    crc = crc32(c, crc);
    into.update(c);
  };
  if (entry.method === METHOD.STORED) {
    if (entry.compressedSize !== entry.uncompressedSize) throw new ZipFormatError(`stored entry "${name}" has different compressed and uncompressed sizes`);
    for await (const c of body) sink(c);
  } else {
    try {
      await pipeline(Readable.from(body), createInflateRaw(), async (inflated: AsyncIterable<Buffer>) => {
        for await (const c of inflated) sink(c);
      });
    } catch (e) {
      if (e instanceof ZipFormatError) throw e;
      throw new ZipFormatError(`entry "${name}": corrupt deflate data (${(e as Error).message})`);
    }
  }
  if (size !== entry.uncompressedSize) throw new ZipFormatError(`entry "${name}" is ${size} bytes, the directory says ${entry.uncompressedSize}`);
  if ((crc >>> 0) !== entry.crc32) throw new ZipFormatError(`entry "${name}" fails its CRC-32 check`);
}

/** Sequential reads over an async byte stream, feeding every consumed byte to `hash`. */
class StreamReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private buf: Buffer = Buffer.alloc(0);
  /** absolute offset of the next unread byte */
  position = 0;

  constructor(source: AsyncIterable<Uint8Array>, private readonly hash: Hash) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async more(): Promise<boolean> {
    const r = await this.it.next();
    if (r.done === true) return false;
    this.buf = this.buf.length === 0 ? Buffer.from(r.value) : Buffer.concat([this.buf, r.value]);
    return true;
  }

  private consume(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.position += n;
    this.hash.update(out);
    return out;
  }

  /** Exactly `n` bytes (small reads: headers, names). */
  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n) if (!(await this.more())) throw new ZipFormatError('archive is truncated');
    return Buffer.from(this.consume(n));
  }

  /** Streams the next `n` bytes in the source's own chunk sizes. */
  async *take(n: number): AsyncIterable<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.more())) throw new ZipFormatError('archive is truncated');
      const part = this.consume(Math.min(left, this.buf.length));
      left -= part.length;
      yield part;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.take(n));
  }

  async skipTo(offset: number): Promise<void> {
    if (offset < this.position) throw new ZipFormatError('entries overlap');
    await this.skip(offset - this.position);
  }

  /** Consumes the rest of the stream. */
  async drain(): Promise<void> {
    this.consume(this.buf.length);
    while (await this.more()) this.consume(this.buf.length);
  }
}
