/**
 * MQTT file streams, server side: `describe` → `description`, `get` → one `data` message per
 * block, in `json` or `cbor`; errors on `rejected` with the service's codes. Only blocks that
 * exist and were asked for are sent, each once per request (the FreeRTOS agent fails the whole
 * job on an extra or malformed block). File contents are cached by stream version.
 */
import {
  blocksToServe,
  encodeDataBlock,
  encodeDescription,
  encodeStreamError,
  parseDescribeRequest,
  parseGetRequest,
  StreamRequestError,
  streamTopic,
  type StreamFormat,
} from '../../simulator/ota-wire/index.js';
import { isIotError, type IotContext, type StreamService } from '../iot/index.js';
import type { Logger } from '../log/index.js';
import type { MqttTransport } from './transport.js';

/** Files up to this size are kept in memory once read; the cache holds at most CACHE_BYTES. */
const CACHE_FILE_MAX = 32 * 1024 * 1024;
const CACHE_BYTES = 256 * 1024 * 1024;

export class StreamsMqttApi {
  private readonly cache = new Map<string, { bytes: Promise<Uint8Array>; size: number }>();
  private cached = 0;

  constructor(
    private readonly deps: { ctx: IotContext; streams: StreamService; transport: MqttTransport; logger: Logger },
  ) {}

  private forget(key: string): void {
    const e = this.cache.get(key);
    if (!e) return;
    this.cache.delete(key);
    this.cached -= e.size;
  }

  /** The whole file (cached) — block reads then cost nothing per block. */
  private async file(streamId: string, version: string, fileId: number): Promise<{ size: number; bytes?: Uint8Array; read: (o: number, l: number) => Promise<Uint8Array> }> {
    const key = `${streamId}#${version}#${fileId}`;
    let entry = this.cache.get(key);
    if (!entry) {
      const f = await this.deps.streams.readFile(this.deps.ctx, streamId, fileId);
      if (f.size > CACHE_FILE_MAX) return { size: f.size, read: f.read };
      entry = { bytes: f.read(0, f.size), size: f.size };
      this.cache.set(key, entry);
      this.cached += f.size;
      entry.bytes.catch(() => this.forget(key));
      while (this.cached > CACHE_BYTES && this.cache.size > 1) this.forget(this.cache.keys().next().value as string);
    }
    const bytes = await entry.bytes;
    return { size: entry.size, bytes, read: async (o, l) => bytes.subarray(o, Math.min(o + l, bytes.length)) };
  }

  /** Handles one request; never throws (bad input is answered on `rejected/<fmt>`). */
  async handle(req: { thing: string; op: 'describe' | 'get'; streamId: string; format: StreamFormat }, payload: Uint8Array): Promise<void> {
    const { thing, streamId, format } = req;
    let clientToken: string | undefined;
    try {
      if (req.op === 'describe') {
        const d = parseDescribeRequest(payload, format);
        clientToken = d.clientToken;
        const s = await this.deps.streams.describeStream(this.deps.ctx, streamId);
        const files = await Promise.all(s.files.map(async (f) => ({ fileId: f.fileId, size: (await this.deps.streams.readFile(this.deps.ctx, streamId, f.fileId)).size })));
        await this.deps.transport.publish(streamTopic.description(thing, streamId, format), encodeDescription({ ...(clientToken !== undefined ? { clientToken } : {}), streamVersion: s.streamVersion, ...(s.description !== undefined ? { description: s.description } : {}), files }, format), 0);
        return;
      }
      const r = parseGetRequest(payload, format);
      clientToken = r.clientToken;
      const s = await this.deps.streams.describeStream(this.deps.ctx, streamId);
      if (r.streamVersion !== undefined && r.streamVersion !== s.streamVersion) throw new StreamRequestError('VersionMismatch', `The stream is at version ${s.streamVersion}.`, clientToken);
      const entry = s.files.find((f) => f.fileId === r.fileId);
      if (!entry) throw new StreamRequestError('ResourceNotFound', `Stream ${streamId} has no file ${r.fileId}.`, clientToken);
      // Keyed by the pinned object version too: a stream deleted and made again under the same id is another file.
      const loc = entry.s3Location;
      const file = await this.file(streamId, `${s.streamVersion}@${loc.bucket}/${loc.key}@${loc.version ?? ''}`, r.fileId);
      const blocks = blocksToServe(r, file.size);
      const topic = streamTopic.data(thing, streamId, format);
      // Encode every block first, then hand them to the broker together (QoS 0; the device orders them by id).
      const messages: Uint8Array[] = [];
      for (const i of blocks) messages.push(encodeDataBlock({ ...(clientToken !== undefined ? { clientToken } : {}), fileId: r.fileId, blockId: i, payload: await file.read(i * r.blockSize, r.blockSize) }, format));
      await Promise.all(messages.map((m) => this.deps.transport.publish(topic, m, 0)));
    } catch (e) {
      let code: string;
      let message: string;
      if (e instanceof StreamRequestError) {
        code = e.code;
        message = e.message;
        clientToken = e.clientToken ?? clientToken;
      } else if (isIotError(e, 'ResourceNotFoundException')) {
        code = 'ResourceNotFound';
        message = e.message;
      } else {
        this.deps.logger.error('streams mqtt: internal error', { streamId: streamId.slice(0, 128), error: String(e) });
        code = 'InternalError';
        message = 'An internal error occurred.';
      }
      try {
        await this.deps.transport.publish(streamTopic.rejected(thing, streamId, format), encodeStreamError({ code: code as never, message, ...(clientToken !== undefined ? { clientToken } : {}) }, format), 0);
      } catch (err) {
        this.deps.logger.warn('streams mqtt: could not publish a rejection', { error: String(err) });
      }
    }
  }
}
