import type { ObjectStore } from '../objects/index.js';
import { isObjectsError } from '../objects/index.js';
import { iotArn } from './arns.js';
import { IotError } from './iot-error.js';
import { decode, encode, type IotDb } from './iot-store.js';
import type { IotContext, Paged, Stream, StreamFile, StreamService } from './iot.types.js';
import { pageWindow, toPage } from './pagination.js';
import { checkStreamId } from './validate.js';

/** AWS IoT limits: 1–50 files per stream, file ids 0–255. */
const MAX_FILES = 50;

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of body) {
    parts.push(c);
    n += c.length;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export class SqliteStreamService implements StreamService {
  constructor(
    private readonly d: IotDb,
    private readonly objects: ObjectStore,
  ) {}

  private find(ctx: IotContext, streamId: string): Stream | undefined {
    const row = this.d.q('SELECT data FROM iot_streams WHERE account_id = ? AND stream_id = ?').pluck().get(ctx.accountId, streamId) as string | undefined;
    return row ? decode<Stream>(row) : undefined;
  }
  private require(ctx: IotContext, streamId: string): Stream {
    const s = this.find(ctx, streamId);
    if (!s) throw new IotError('ResourceNotFoundException', `Stream ${streamId} cannot be found.`);
    return s;
  }

  /** Checks each file and pins it to the object version that exists now, so the stream's bytes cannot change under a device. */
  private async pin(files: unknown): Promise<StreamFile[]> {
    if (!Array.isArray(files) || files.length < 1 || files.length > MAX_FILES) throw new IotError('InvalidRequestException', `files must list 1 to ${MAX_FILES} files.`);
    const seen = new Set<number>();
    const out: StreamFile[] = [];
    for (const f of files as StreamFile[]) {
      if (!Number.isInteger(f?.fileId) || f.fileId < 0 || f.fileId > 255) throw new IotError('InvalidRequestException', 'fileId must be an integer from 0 to 255.');
      if (seen.has(f.fileId)) throw new IotError('InvalidRequestException', `fileId ${f.fileId} appears twice.`);
      seen.add(f.fileId);
      const loc = f.s3Location;
      if (!loc?.bucket || !loc.key) throw new IotError('InvalidRequestException', 's3Location needs bucket and key.');
      try {
        const info = await this.objects.headObject(loc.bucket, loc.key, loc.version !== undefined ? { versionId: loc.version } : {});
        out.push({ fileId: f.fileId, s3Location: { bucket: loc.bucket, key: loc.key, version: info.versionId } });
      } catch (e) {
        if (isObjectsError(e)) throw new IotError('InvalidRequestException', `s3://${loc.bucket}/${loc.key} cannot be read: ${e.code}.`);
        throw e;
      }
    }
    return out;
  }

  async createStream(ctx: IotContext, input: { streamId: string; description?: string; files: StreamFile[]; roleArn: string }): Promise<Stream> {
    checkStreamId(input.streamId);
    if (typeof input.roleArn !== 'string' || input.roleArn.length < 20) throw new IotError('InvalidRequestException', 'roleArn must be an IAM role ARN.');
    const files = await this.pin(input.files);
    const now = new Date();
    const stream: Stream = {
      streamId: input.streamId,
      streamArn: iotArn(ctx, 'stream', input.streamId),
      streamVersion: 1,
      ...(input.description !== undefined ? { description: input.description } : {}),
      files,
      roleArn: input.roleArn,
      createdAt: now,
      lastUpdatedAt: now,
    };
    const inserted = this.d.q('INSERT OR IGNORE INTO iot_streams (account_id, stream_id, created_at, data) VALUES (?, ?, ?, ?)').run(ctx.accountId, stream.streamId, now.getTime(), encode(stream));
    if (inserted.changes === 0) throw new IotError('ResourceAlreadyExistsException', `Stream ${input.streamId} already exists.`);
    return stream;
  }

  async describeStream(ctx: IotContext, streamId: string): Promise<Stream> {
    return this.require(ctx, streamId);
  }

  async listStreams(ctx: IotContext, input: { nextToken?: string; maxResults?: number; ascendingOrder?: boolean }): Promise<Paged<Stream>> {
    const { offset, limit } = pageWindow(input);
    const order = input.ascendingOrder ? 'ASC' : 'DESC';
    const rows = this.d.q(`SELECT data FROM iot_streams WHERE account_id = ? ORDER BY created_at ${order}, stream_id ${order} LIMIT ? OFFSET ?`).pluck().all(ctx.accountId, limit + 1, offset) as string[];
    return toPage(rows.map((r) => decode<Stream>(r)), offset, limit);
  }

  async updateStream(ctx: IotContext, input: { streamId: string; description?: string; files?: StreamFile[]; roleArn?: string }): Promise<Stream> {
    const files = input.files !== undefined ? await this.pin(input.files) : undefined;
    return this.d.tx(() => {
      const s = this.require(ctx, input.streamId);
      const next: Stream = {
        ...s,
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(files ? { files } : {}),
        ...(input.roleArn !== undefined ? { roleArn: input.roleArn } : {}),
        streamVersion: s.streamVersion + 1,
        lastUpdatedAt: new Date(),
      };
      this.d.q('UPDATE iot_streams SET data = ? WHERE account_id = ? AND stream_id = ?').run(encode(next), ctx.accountId, s.streamId);
      return next;
    });
  }

  async deleteStream(ctx: IotContext, streamId: string): Promise<void> {
    this.require(ctx, streamId);
    this.d.q('DELETE FROM iot_streams WHERE account_id = ? AND stream_id = ?').run(ctx.accountId, streamId);
  }

  async readFile(ctx: IotContext, streamId: string, fileId: number) {
    const s = this.require(ctx, streamId);
    const f = s.files.find((x) => x.fileId === fileId);
    if (!f) throw new IotError('ResourceNotFoundException', `Stream ${streamId} has no file ${fileId}.`);
    const { bucket, key, version } = f.s3Location;
    const opts = version !== undefined ? { versionId: version } : {};
    const info = await this.objects.headObject(bucket, key, opts);
    const objects = this.objects;
    return {
      size: info.size,
      async read(offset: number, length: number): Promise<Uint8Array> {
        if (length <= 0 || offset >= info.size) return new Uint8Array(0);
        const res = await objects.getObject(bucket, key, { ...opts, range: { start: offset, end: Math.min(info.size, offset + length) - 1 } });
        return collect(res.body);
      },
    };
  }
}
