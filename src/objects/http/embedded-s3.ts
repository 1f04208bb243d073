/**
 * The embedded S3-compatible HTTP endpoint: path-style S3 REST on its own
 * port, in front of any {@link ObjectStore}.
 *
 * Every request is authenticated by the injected {@link S3Authenticator}; a
 * bucket belongs to the account that created it and every other account gets
 * `AccessDenied`. Errors are S3 XML error documents with the status from
 * `OBJECTS_ERRORS`.
 *
 * @packageDocumentation
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { createLimitedServer, isClientAbort, type ListenerLimits } from '../../net/listener-limits.js';
import { parseRangeHeader } from '../byte-range.js';
import { NULL_VERSION_ID, type ObjectInfo, type ObjectStore } from '../object-store.types.js';
import { isObjectsErrorCode, OBJECTS_ERRORS, ObjectsError, type ObjectsErrorCode } from '../objects-error.js';
import type { AuthContext, S3Authenticator } from './auth.types.js';
import { openPayload, readSmallPayload } from './payload.js';
import { parseCompleteMultipartUpload, parseDeleteObjects, parseVersioningConfiguration, XML_LIMIT_DEFAULTS, xmlDocument, type XmlLimits, type XmlNode } from './xml.js';

/** Options of {@link startEmbeddedS3}. */
export interface EmbeddedS3Options {
  /** Where objects live. */
  readonly store: ObjectStore;
  /** Verifies each request (SigV4, service `s3`). */
  readonly authenticate: S3Authenticator;
  /** Interface to listen on; default `127.0.0.1`. */
  readonly host?: string;
  /** Port; `0` (the default) picks a free one. */
  readonly port?: number;
  /** Region reported by GetBucketLocation and HeadBucket; default `us-east-1`. */
  readonly region?: string;
  /** Listener timeouts, per-client connection cap and XML body limits; each defaults as in {@link S3_LIMIT_DEFAULTS}. */
  readonly limits?: Partial<S3Limits>;
  /** Receives unexpected (500) errors; never sees payload bytes. */
  readonly onError?: (err: unknown, requestId: string) => void;
  /** Told when a client went away mid-request (not an error of the server: log it quietly). */
  readonly onClientAbort?: (requestId: string, reason: string) => void;
}

/** What the endpoint bounds for every client. */
export interface S3Limits extends ListenerLimits {
  readonly xml: XmlLimits;
}

/**
 * Defaults of {@link S3Limits}: a whole request may take an hour (large uploads stream), but a
 * connection that moves no byte for 30 s is closed, and headers must arrive within 10 s.
 */
export const S3_LIMIT_DEFAULTS: S3Limits = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 3_600_000,
  idleTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnectionsPerIp: 64,
  xml: XML_LIMIT_DEFAULTS,
});

/** Defaults of {@link EmbeddedS3Options}. */
export const EMBEDDED_S3_DEFAULTS = Object.freeze({ host: '127.0.0.1', port: 0, region: 'us-east-1' });

/** A running endpoint. */
export interface EmbeddedS3 {
  /** Base URL, e.g. `http://127.0.0.1:9000`. */
  readonly url: string;
  /** The port actually bound. */
  readonly port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Sub-resources this endpoint understands; any other one is NotImplemented. */
const KNOWN_SUBRESOURCES = new Set([
  'delete',
  'tagging',
  'versioning',
  'versions',
  'location',
  'list-type',
  'uploads',
  'uploadId',
  'partNumber',
  'versionId',
  'prefix',
  'delimiter',
  'max-keys',
  'marker',
  'continuation-token',
  'start-after',
  'encoding-type',
  'fetch-owner',
  'key-marker',
  'version-id-marker',
  'x-id',
  'max-uploads',
  'max-parts',
  'part-number-marker',
]);

/** Sub-resources that select a bucket-level operation. */
const BUCKET_SUBRESOURCES = ['versioning', 'versions', 'location', 'uploads', 'delete', 'tagging'] as const;

/** Starts the endpoint and resolves once it listens. */
export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3> {
  const host = options.host ?? EMBEDDED_S3_DEFAULTS.host;
  const region = options.region ?? EMBEDDED_S3_DEFAULTS.region;
  const limits: S3Limits = { ...S3_LIMIT_DEFAULTS, ...options.limits };
  const handler = new S3Handler(options.store, options.authenticate, region, limits.xml, options.onError, options.onClientAbort);
  // Large uploads may take long as a whole, but never stall: the idle timeout closes a silent connection.
  const server: Server = createLimitedServer(limits, (req, res) => void handler.handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? EMBEDDED_S3_DEFAULTS.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A parsed request target. */
interface Target {
  readonly bucket?: string;
  readonly key?: string;
  readonly query: Map<string, string>;
}

class S3Handler {
  constructor(
    private readonly store: ObjectStore,
    private readonly authenticate: S3Authenticator,
    private readonly region: string,
    private readonly xmlLimits: XmlLimits,
    private readonly onError: ((err: unknown, requestId: string) => void) | undefined,
    private readonly onClientAbort: ((requestId: string, reason: string) => void) | undefined,
  ) {}

  /** Reads a small XML body (verified against its signed hash and checksums) under the XML size limit. */
  private async readXmlBody(req: IncomingMessage, auth: AuthContext): Promise<string> {
    return (await readSmallPayload(openPayload(req, req.headers, auth), this.xmlLimits.maxBytes)).toString('utf8');
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    // A client that hangs up mid-body must not crash the process; readers of the body see the error anyway.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', requestId);
    res.setHeader('server', 'iot-signer-objects');
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
    let resource = rawPath;
    try {
      const target = parseTarget(rawPath, rawQuery);
      resource = target.bucket === undefined ? '/' : `/${target.bucket}${target.key === undefined ? '' : `/${target.key}`}`;
      const auth = await this.authenticate({ method: req.method ?? 'GET', rawPath, rawQuery, headers: req.headers }).catch((err: unknown) => {
        throw authError(err);
      });
      await this.route(req, res, target, auth);
    } catch (err) {
      this.writeError(req, res, err, requestId, resource);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, t: Target, auth: AuthContext): Promise<void> {
    const method = req.method ?? 'GET';
    for (const name of t.query.keys()) {
      if (!KNOWN_SUBRESOURCES.has(name) && !name.toLowerCase().startsWith('x-amz-') && !name.startsWith('response-')) {
        throw new ObjectsError('NotImplemented', `The ${name} sub-resource is not implemented.`);
      }
      // response-* values become response headers: only characters a header can carry.
      if (name.startsWith('response-') && !/^[\t\x20-\x7e]*$/.test(t.query.get(name) ?? '')) {
        throw new ObjectsError('InvalidArgument', `The ${name} value may contain only printable ASCII characters.`);
      }
    }
    if (t.bucket === undefined) {
      if (method === 'GET') return this.listBuckets(res, auth);
      throw new ObjectsError('MethodNotAllowed');
    }
    const bucket = t.bucket;
    if (t.query.has('tagging') && (t.key === undefined || method !== 'GET')) {
      throw new ObjectsError('NotImplemented', 'Only GetObjectTagging (always an empty tag set) is implemented.');
    }
    if (t.key === undefined) {
      // Dispatch on (method, sub-resource) exactly: `PUT /b?delete` must never create a bucket.
      const sub = BUCKET_SUBRESOURCES.find((name) => t.query.has(name));
      if (method === 'PUT' && sub === 'versioning') return this.putBucketVersioning(req, res, bucket, auth);
      if (method === 'PUT' && sub === undefined) return this.createBucket(req, res, bucket, auth);
      if (method === 'PUT') throw new ObjectsError('NotImplemented', `PUT ?${sub} is not implemented.`);
      await this.assertOwner(bucket, auth);
      if (method === 'HEAD' && sub === undefined) return this.send(res, 200, undefined, { 'x-amz-bucket-region': this.region });
      if (method === 'DELETE' && sub === undefined) {
        await this.store.deleteBucket(bucket);
        return this.send(res, 204);
      }
      if (method === 'GET') {
        if (sub === 'versioning') return this.getBucketVersioning(res, bucket);
        if (sub === 'location') return this.sendXml(res, ['LocationConstraint', this.region === 'us-east-1' ? '' : this.region]);
        if (sub === 'versions') return this.listObjectVersions(res, bucket, t.query);
        if (sub !== undefined) throw new ObjectsError('NotImplemented', `GET ?${sub} is not implemented.`);
        if (t.query.get('list-type') === '2') return this.listObjectsV2(res, bucket, t.query);
        if (t.query.has('list-type')) throw new ObjectsError('InvalidArgument', 'Invalid list-type.');
        return this.listObjectsV1(res, bucket, t.query);
      }
      if (method === 'POST' && sub === 'delete') return this.deleteObjects(req, res, bucket, auth);
      throw new ObjectsError(method === 'POST' || sub !== undefined ? 'NotImplemented' : 'MethodNotAllowed');
    }
    const bucketOnly = BUCKET_SUBRESOURCES.find((name) => name !== 'uploads' && name !== 'tagging' && t.query.has(name));
    if (bucketOnly !== undefined || t.query.has('list-type')) throw new ObjectsError('NotImplemented', 'That sub-resource applies to buckets, not objects.');
    const key = t.key;
    await this.assertOwner(bucket, auth);
    const uploadId = t.query.get('uploadId');
    switch (method) {
      case 'PUT':
        if (req.headers['x-amz-copy-source'] !== undefined) return this.copy(req, res, bucket, key, uploadId, t.query.get('partNumber'), auth);
        if (uploadId !== undefined) return this.uploadPart(req, res, bucket, key, uploadId, t.query.get('partNumber'), auth);
        return this.putObject(req, res, bucket, key, auth);
      case 'GET':
        if (uploadId !== undefined) throw new ObjectsError('NotImplemented', 'ListParts is not implemented.');
        if (t.query.has('tagging')) return this.getObjectTagging(res, bucket, key, t.query);
        return this.getObject(req, res, bucket, key, t.query, false);
      case 'HEAD':
        return this.getObject(req, res, bucket, key, t.query, true);
      case 'DELETE':
        if (uploadId !== undefined) {
          await this.store.abortMultipartUpload(bucket, key, uploadId);
          return this.send(res, 204);
        }
        return this.deleteObject(res, bucket, key, t.query);
      case 'POST':
        if (t.query.has('uploads')) return this.createMultipartUpload(req, res, bucket, key);
        if (uploadId !== undefined) return this.completeMultipartUpload(req, res, bucket, key, uploadId, auth);
        throw new ObjectsError('NotImplemented');
      default:
        throw new ObjectsError('MethodNotAllowed');
    }
  }

  // ------------------------------------------------------------- buckets

  private async assertOwner(bucket: string, auth: AuthContext): Promise<void> {
    const info = await this.store.headBucket(bucket);
    // Fail closed: a bucket without a recorded owner belongs to nobody here.
    if (info.owner === undefined || info.owner !== auth.accountId) throw new ObjectsError('AccessDenied');
  }

  private async listBuckets(res: ServerResponse, auth: AuthContext): Promise<void> {
    const mine = (await this.store.listBuckets()).filter((b) => b.owner === auth.accountId);
    return this.sendXml(res, [
      'ListAllMyBucketsResult',
      [
        ['Owner', [['ID', auth.accountId], ['DisplayName', auth.accountId]]],
        ['Buckets', mine.map((b): XmlNode => ['Bucket', [['Name', b.name], ['CreationDate', b.createdAt.toISOString()]]])],
      ],
    ]);
  }

  private async createBucket(req: IncomingMessage, res: ServerResponse, bucket: string, auth: AuthContext): Promise<void> {
    // The body (CreateBucketConfiguration) only names a location; read it so the signature over it is checked.
    await readSmallPayload(openPayload(req, req.headers, auth));
    try {
      await this.store.createBucket(bucket, { owner: auth.accountId });
    } catch (err) {
      if (err instanceof ObjectsError && err.code === 'BucketAlreadyOwnedByYou') {
        const info = await this.store.headBucket(bucket);
        if (info.owner !== auth.accountId) throw new ObjectsError('BucketAlreadyExists');
      }
      throw err;
    }
    return this.send(res, 200, undefined, { location: `/${bucket}` });
  }

  private async getBucketVersioning(res: ServerResponse, bucket: string): Promise<void> {
    const status = await this.store.getBucketVersioning(bucket);
    return this.sendXml(res, ['VersioningConfiguration', status === undefined ? [] : [['Status', status]]]);
  }

  private async putBucketVersioning(req: IncomingMessage, res: ServerResponse, bucket: string, auth: AuthContext): Promise<void> {
    await this.assertOwner(bucket, auth);
    const status = parseVersioningConfiguration(await this.readXmlBody(req, auth), this.xmlLimits);
    await this.store.putBucketVersioning(bucket, status);
    return this.send(res, 200);
  }

  // ------------------------------------------------------------- listing

  private async listObjectsV2(res: ServerResponse, bucket: string, q: Map<string, string>): Promise<void> {
    const enc = encoder(q);
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter');
    const maxKeys = parseMaxKeys(q.get('max-keys'));
    const token = q.get('continuation-token');
    const startAfter = q.get('start-after');
    const page = await this.store.listObjectsV2(bucket, {
      prefix,
      maxKeys,
      ...(delimiter ? { delimiter } : {}),
      ...(token !== undefined ? { continuationToken: token } : {}),
      ...(startAfter !== undefined ? { startAfter } : {}),
    });
    return this.sendXml(res, [
      'ListBucketResult',
      [
        ['Name', bucket],
        ['Prefix', enc(prefix)],
        delimiter ? ['Delimiter', enc(delimiter)] : undefined,
        ['MaxKeys', maxKeys],
        ['KeyCount', page.objects.length + page.commonPrefixes.length],
        ['IsTruncated', page.isTruncated],
        token !== undefined ? ['ContinuationToken', token] : undefined,
        page.nextContinuationToken !== undefined ? ['NextContinuationToken', page.nextContinuationToken] : undefined,
        startAfter !== undefined ? ['StartAfter', enc(startAfter)] : undefined,
        q.has('encoding-type') ? ['EncodingType', 'url'] : undefined,
        ...page.objects.map((o): XmlNode => ['Contents', objectEntry(o, enc)]),
        ...page.commonPrefixes.map((p): XmlNode => ['CommonPrefixes', [['Prefix', enc(p)]]]),
      ],
    ]);
  }

  private async listObjectsV1(res: ServerResponse, bucket: string, q: Map<string, string>): Promise<void> {
    const enc = encoder(q);
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter');
    const marker = q.get('marker');
    const maxKeys = parseMaxKeys(q.get('max-keys'));
    const page = await this.store.listObjectsV2(bucket, {
      prefix,
      maxKeys,
      ...(delimiter ? { delimiter } : {}),
      ...(marker ? { startAfter: marker } : {}),
    });
    const lastKey = page.objects.at(-1)?.key;
    const lastPrefix = page.commonPrefixes.at(-1);
    const next = [lastKey, lastPrefix].filter((x): x is string => x !== undefined).sort().at(-1);
    return this.sendXml(res, [
      'ListBucketResult',
      [
        ['Name', bucket],
        ['Prefix', enc(prefix)],
        ['Marker', enc(marker ?? '')],
        page.isTruncated && next !== undefined ? ['NextMarker', enc(next)] : undefined,
        ['MaxKeys', maxKeys],
        delimiter ? ['Delimiter', enc(delimiter)] : undefined,
        ['IsTruncated', page.isTruncated],
        q.has('encoding-type') ? ['EncodingType', 'url'] : undefined,
        ...page.objects.map((o): XmlNode => ['Contents', objectEntry(o, enc)]),
        ...page.commonPrefixes.map((p): XmlNode => ['CommonPrefixes', [['Prefix', enc(p)]]]),
      ],
    ]);
  }

  private async listObjectVersions(res: ServerResponse, bucket: string, q: Map<string, string>): Promise<void> {
    const enc = encoder(q);
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter');
    const keyMarker = q.get('key-marker');
    const versionIdMarker = q.get('version-id-marker');
    const maxKeys = parseMaxKeys(q.get('max-keys'));
    const page = await this.store.listObjectVersions(bucket, {
      prefix,
      maxKeys,
      ...(delimiter ? { delimiter } : {}),
      ...(keyMarker ? { keyMarker } : {}),
      ...(keyMarker && versionIdMarker ? { versionIdMarker } : {}),
    });
    const owner: XmlNode = ['Owner', [['ID', 'owner'], ['DisplayName', 'owner']]];
    return this.sendXml(res, [
      'ListVersionsResult',
      [
        ['Name', bucket],
        ['Prefix', enc(prefix)],
        ['KeyMarker', enc(keyMarker ?? '')],
        ['VersionIdMarker', versionIdMarker ?? ''],
        page.nextKeyMarker !== undefined ? ['NextKeyMarker', enc(page.nextKeyMarker)] : undefined,
        page.nextVersionIdMarker !== undefined ? ['NextVersionIdMarker', page.nextVersionIdMarker] : undefined,
        ['MaxKeys', maxKeys],
        delimiter ? ['Delimiter', enc(delimiter)] : undefined,
        ['IsTruncated', page.isTruncated],
        q.has('encoding-type') ? ['EncodingType', 'url'] : undefined,
        ...page.versions.map((v): XmlNode =>
          v.deleteMarker
            ? ['DeleteMarker', [['Key', enc(v.key)], ['VersionId', v.versionId], ['IsLatest', v.isLatest], ['LastModified', v.lastModified.toISOString()], owner]]
            : [
                'Version',
                [
                  ['Key', enc(v.key)],
                  ['VersionId', v.versionId],
                  ['IsLatest', v.isLatest],
                  ['LastModified', v.lastModified.toISOString()],
                  ['ETag', `"${v.etag}"`],
                  ['Size', v.size],
                  ['StorageClass', 'STANDARD'],
                  owner,
                ],
              ],
        ),
        ...page.commonPrefixes.map((p): XmlNode => ['CommonPrefixes', [['Prefix', enc(p)]]]),
      ],
    ]);
  }

  // ------------------------------------------------------------- objects

  private async putObject(req: IncomingMessage, res: ServerResponse, bucket: string, key: string, auth: AuthContext): Promise<void> {
    rejectTags(req);
    const payload = openPayload(req, req.headers, auth);
    const contentMd5 = single(req.headers['content-md5']);
    const contentType = single(req.headers['content-type']);
    const result = await this.store.putObject(bucket, key, payload.body, {
      ...(contentMd5 !== undefined ? { contentMd5 } : {}),
      ...(contentType !== undefined ? { contentType } : {}),
      ...(payload.length !== undefined ? { contentLength: payload.length } : {}),
      metadata: userMetadata(req),
    });
    const checksum = payload.verifiedChecksum();
    return this.send(res, 200, undefined, {
      etag: `"${result.etag}"`,
      ...(result.versionId !== NULL_VERSION_ID ? { 'x-amz-version-id': result.versionId } : {}),
      ...(checksum ? { [checksum.header]: checksum.value } : {}),
    });
  }

  private async getObject(req: IncomingMessage, res: ServerResponse, bucket: string, key: string, q: Map<string, string>, head: boolean): Promise<void> {
    const versionId = q.get('versionId');
    const range = head ? undefined : parseRangeHeader(single(req.headers.range));
    if (head) {
      const info = await this.store.headObject(bucket, key, versionId !== undefined ? { versionId } : {});
      return this.send(res, 200, undefined, { ...objectHeaders(info, q), 'content-length': String(info.size) });
    }
    const got = await this.store.getObject(bucket, key, { ...(versionId !== undefined ? { versionId } : {}), ...(range ? { range } : {}) });
    const headers: Record<string, string> = objectHeaders(got, q);
    let status = 200;
    if (got.range) {
      status = 206;
      headers['content-range'] = `bytes ${got.range.start}-${got.range.end}/${got.size}`;
      headers['content-length'] = String(got.range.end - got.range.start + 1);
    } else {
      headers['content-length'] = String(got.size);
    }
    res.writeHead(status, headers);
    try {
      await pipeline(got.body, res);
    } catch {
      // The client went away or the disk failed mid-body: all we can do is cut the connection.
      got.body.destroy();
      res.destroy();
    }
  }

  private async deleteObject(res: ServerResponse, bucket: string, key: string, q: Map<string, string>): Promise<void> {
    const versionId = q.get('versionId');
    const result = await this.store.deleteObject(bucket, key, versionId !== undefined ? { versionId } : {});
    return this.send(res, 204, undefined, {
      ...(result.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}),
      ...(result.versionId !== undefined && (result.versionId !== NULL_VERSION_ID || versionId !== undefined) ? { 'x-amz-version-id': result.versionId } : {}),
    });
  }

  private async deleteObjects(req: IncomingMessage, res: ServerResponse, bucket: string, auth: AuthContext): Promise<void> {
    const payload = openPayload(req, req.headers, auth);
    const body = await readSmallPayload(payload, this.xmlLimits.maxBytes);
    // [S3 DeleteObjects] the body must carry an integrity check: Content-MD5 or an x-amz-checksum-*.
    const contentMd5 = single(req.headers['content-md5']);
    if (contentMd5 !== undefined) {
      if (createHash('md5').update(body).digest('base64') !== contentMd5) throw new ObjectsError('BadDigest');
    } else if (payload.verifiedChecksum() === undefined) {
      throw new ObjectsError('InvalidRequest', 'Missing required header for this request: Content-MD5');
    }
    const { quiet, objects } = parseDeleteObjects(body.toString('utf8'), this.xmlLimits);
    const results: XmlNode[] = [];
    for (const o of objects) {
      try {
        const r = await this.store.deleteObject(bucket, o.key, o.versionId !== undefined ? { versionId: o.versionId } : {});
        if (quiet) continue;
        results.push([
          'Deleted',
          [
            ['Key', o.key],
            o.versionId !== undefined ? ['VersionId', o.versionId] : undefined,
            r.deleteMarker ? ['DeleteMarker', true] : undefined,
            r.deleteMarker && r.versionId !== undefined && o.versionId === undefined ? ['DeleteMarkerVersionId', r.versionId] : undefined,
          ],
        ]);
      } catch (err) {
        const e = err instanceof ObjectsError ? err : new ObjectsError('InternalError', undefined, { cause: err });
        if (e.code === 'InternalError') this.onError?.(err, String(res.getHeader('x-amz-request-id')));
        results.push([
          'Error',
          [['Key', o.key], o.versionId !== undefined ? ['VersionId', o.versionId] : undefined, ['Code', e.code], ['Message', OBJECTS_ERRORS[e.code].message]],
        ]);
      }
    }
    return this.sendXml(res, ['DeleteResult', results]);
  }

  /** Tags are not stored, so every object has an empty tag set (the AWS CLI v2 asks when copying). */
  private async getObjectTagging(res: ServerResponse, bucket: string, key: string, q: Map<string, string>): Promise<void> {
    const versionId = q.get('versionId');
    const info = await this.store.headObject(bucket, key, versionId !== undefined ? { versionId } : {});
    return this.sendXml(res, ['Tagging', [['TagSet', []]]], info.versionId !== NULL_VERSION_ID ? { 'x-amz-version-id': info.versionId } : {});
  }

  /** CopyObject, or UploadPartCopy when an upload id is given: a streamed read into a new write. */
  private async copy(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    key: string,
    uploadId: string | undefined,
    partNumberText: string | undefined,
    auth: AuthContext,
  ): Promise<void> {
    for (const h of Object.keys(req.headers)) {
      if (h.startsWith('x-amz-copy-source-server-side-encryption') || (h.startsWith('x-amz-copy-source-if-') && !(h in COPY_CONDITIONS))) {
        throw new ObjectsError('NotImplemented', `${h} is not implemented.`);
      }
    }
    rejectTags(req);
    // The request body is empty; reading it checks the payload hash that was signed.
    await readSmallPayload(openPayload(req, req.headers, auth), 0);
    const source = parseCopySource(single(req.headers['x-amz-copy-source']) ?? '');
    await this.assertOwner(source.bucket, auth);
    const versionOpt = source.versionId !== undefined ? { versionId: source.versionId } : {};
    if (uploadId !== undefined) {
      if (partNumberText === undefined || !/^\d{1,5}$/.test(partNumberText)) throw new ObjectsError('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive.');
      const rangeText = single(req.headers['x-amz-copy-source-range']);
      const range = rangeText === undefined ? undefined : parseRangeHeader(rangeText);
      if (rangeText !== undefined && (range === undefined || !('start' in range) || range.end === undefined)) {
        throw new ObjectsError('InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last.');
      }
      const src = await this.store.getObject(source.bucket, source.key, { ...versionOpt, ...(range ? { range } : {}) });
      checkCopyConditions(req, src);
      const length = src.range ? src.range.end - src.range.start + 1 : src.size;
      const part = await this.store.uploadPart(bucket, key, uploadId, Number(partNumberText), src.body, { contentLength: length }).finally(() => src.body.destroy());
      return this.sendXml(res, ['CopyPartResult', [['ETag', `"${part.etag}"`], ['LastModified', new Date().toISOString()]]], copySourceVersion(src.versionId));
    }
    const directive = single(req.headers['x-amz-metadata-directive']) ?? 'COPY';
    if (directive !== 'COPY' && directive !== 'REPLACE') throw new ObjectsError('InvalidArgument', 'Unknown metadata directive.');
    if (directive === 'COPY' && source.bucket === bucket && source.key === key && source.versionId === undefined) {
      throw new ObjectsError('InvalidRequest', 'This copy request is illegal because it is trying to copy an object to itself without changing the metadata.');
    }
    const src = await this.store.getObject(source.bucket, source.key, versionOpt);
    checkCopyConditions(req, src);
    const contentType = directive === 'REPLACE' ? single(req.headers['content-type']) : src.contentType;
    const result = await this.store
      .putObject(bucket, key, src.body, {
        contentLength: src.size,
        ...(contentType !== undefined ? { contentType } : {}),
        metadata: directive === 'REPLACE' ? userMetadata(req) : src.metadata,
      })
      .finally(() => src.body.destroy());
    return this.sendXml(res, ['CopyObjectResult', [['ETag', `"${result.etag}"`], ['LastModified', new Date().toISOString()]]], {
      ...copySourceVersion(src.versionId),
      ...(result.versionId !== NULL_VERSION_ID ? { 'x-amz-version-id': result.versionId } : {}),
    });
  }

  private async createMultipartUpload(req: IncomingMessage, res: ServerResponse, bucket: string, key: string): Promise<void> {
    rejectTags(req);
    const contentType = single(req.headers['content-type']);
    const { uploadId } = await this.store.createMultipartUpload(bucket, key, {
      ...(contentType !== undefined ? { contentType } : {}),
      metadata: userMetadata(req),
    });
    const algorithm = single(req.headers['x-amz-checksum-algorithm']);
    return this.sendXml(
      res,
      ['InitiateMultipartUploadResult', [['Bucket', bucket], ['Key', key], ['UploadId', uploadId]]],
      algorithm ? { 'x-amz-checksum-algorithm': algorithm } : {},
    );
  }

  private async uploadPart(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    key: string,
    uploadId: string,
    partNumberText: string | undefined,
    auth: AuthContext,
  ): Promise<void> {
    if (partNumberText === undefined || !/^\d{1,5}$/.test(partNumberText)) throw new ObjectsError('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive.');
    const payload = openPayload(req, req.headers, auth);
    const contentMd5 = single(req.headers['content-md5']);
    const part = await this.store.uploadPart(bucket, key, uploadId, Number(partNumberText), payload.body, {
      ...(contentMd5 !== undefined ? { contentMd5 } : {}),
      ...(payload.length !== undefined ? { contentLength: payload.length } : {}),
    });
    const checksum = payload.verifiedChecksum();
    return this.send(res, 200, undefined, { etag: `"${part.etag}"`, ...(checksum ? { [checksum.header]: checksum.value } : {}) });
  }

  private async completeMultipartUpload(req: IncomingMessage, res: ServerResponse, bucket: string, key: string, uploadId: string, auth: AuthContext): Promise<void> {
    const parts = parseCompleteMultipartUpload(await this.readXmlBody(req, auth), this.xmlLimits);
    const result = await this.store.completeMultipartUpload(bucket, key, uploadId, parts);
    return this.sendXml(
      res,
      ['CompleteMultipartUploadResult', [['Location', `/${bucket}/${key}`], ['Bucket', bucket], ['Key', key], ['ETag', `"${result.etag}"`]]],
      result.versionId !== NULL_VERSION_ID ? { 'x-amz-version-id': result.versionId } : {},
    );
  }

  // ------------------------------------------------------------- responses

  private send(res: ServerResponse, status: number, body?: string, headers: Record<string, string> = {}): void {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined) {
      h['content-type'] = 'application/xml';
      h['content-length'] = String(Buffer.byteLength(body));
    } else if (h['content-length'] === undefined) {
      h['content-length'] = '0';
    }
    res.writeHead(status, h);
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  private sendXml(res: ServerResponse, root: XmlNode, headers: Record<string, string> = {}): void {
    this.send(res, 200, xmlDocument(root), headers);
  }

  private writeError(req: IncomingMessage, res: ServerResponse, err: unknown, requestId: string, resource: string): void {
    let code: ObjectsErrorCode = 'InternalError';
    let message: string = OBJECTS_ERRORS.InternalError.message;
    const headers: Record<string, string> = {};
    if (err instanceof ObjectsError) {
      code = err.code;
      message = code === 'InternalError' ? OBJECTS_ERRORS.InternalError.message : err.message;
      if (err.details.deleteMarker) headers['x-amz-delete-marker'] = 'true';
      if (err.details.deleteMarker && err.details.versionId !== undefined) headers['x-amz-version-id'] = err.details.versionId;
      if (code === 'InvalidRange' && err.details.size !== undefined) headers['content-range'] = `bytes */${err.details.size}`;
      if (code === 'MethodNotAllowed') headers.allow = 'GET, PUT, HEAD, DELETE, POST';
    }
    if (isClientAbort(err, req)) {
      // Nobody is left to answer: whatever the failure, note it quietly and drop the socket.
      this.onClientAbort?.(requestId, err instanceof Error ? err.message : String(err));
      res.destroy();
      return;
    }
    if (code === 'InternalError') this.onError?.(err, requestId);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = xmlDocument(['Error', [['Code', code], ['Message', message], ['Resource', resource], ['RequestId', requestId]]], false);
    // An unread request body would stall keep-alive; tell the client to reconnect.
    if (!req.complete) headers.connection = 'close';
    this.send(res, OBJECTS_ERRORS[code].status, body, headers);
  }
}

/** Maps an authenticator failure to an ObjectsError; unknown codes are AccessDenied. */
function authError(err: unknown): ObjectsError {
  if (err instanceof ObjectsError) return err;
  const code = typeof err === 'object' && err !== null ? (err as { s3Code?: unknown }).s3Code : undefined;
  const message = typeof err === 'object' && err !== null ? (err as { s3Message?: unknown }).s3Message : undefined;
  // Only the unsigned-headers refusal carries its own message (naming the headers, as S3 does).
  if (code === 'AccessDenied' && typeof message === 'string' && message.startsWith('There were headers')) return new ObjectsError(code, message);
  if (isObjectsErrorCode(code)) return new ObjectsError(code);
  return new ObjectsError('AccessDenied');
}

/** Splits a path-style request target; percent-decoding never turns into path structure. */
function parseTarget(rawPath: string, rawQuery: string): Target {
  if (!rawPath.startsWith('/')) throw new ObjectsError('InvalidRequest', 'Request target must be an absolute path.');
  const rest = rawPath.slice(1);
  const slash = rest.indexOf('/');
  const bucketRaw = slash < 0 ? rest : rest.slice(0, slash);
  const keyRaw = slash < 0 ? undefined : rest.slice(slash + 1);
  const query = new Map<string, string>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const k = decode(eq < 0 ? pair : pair.slice(0, eq), true);
    const v = eq < 0 ? '' : decode(pair.slice(eq + 1), true);
    if (!query.has(k)) query.set(k, v);
  }
  return {
    ...(bucketRaw !== '' ? { bucket: decode(bucketRaw, false) } : {}),
    ...(keyRaw !== undefined && keyRaw !== '' ? { key: decode(keyRaw, false) } : {}),
    query,
  };
}

function decode(s: string, form: boolean): string {
  try {
    return decodeURIComponent(form ? s.replace(/\+/g, '%20') : s);
  } catch {
    throw new ObjectsError('InvalidRequest', 'Could not decode the request URI.');
  }
}

/** Parses `x-amz-copy-source`: `[/]bucket/key[?versionId=v]`, URL-encoded. */
function parseCopySource(value: string): { bucket: string; key: string; versionId?: string } {
  const q = value.indexOf('?');
  const path = (q < 0 ? value : value.slice(0, q)).replace(/^\//, '');
  const query = q < 0 ? '' : value.slice(q + 1);
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) throw new ObjectsError('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey.');
  let versionId: string | undefined;
  for (const pair of query.split('&')) {
    if (pair.startsWith('versionId=')) versionId = decode(pair.slice('versionId='.length), true);
    else if (pair !== '') throw new ObjectsError('InvalidArgument', 'Unsupported copy source parameter.');
  }
  return { bucket: decode(path.slice(0, slash), false), key: decode(path.slice(slash + 1), false), ...(versionId !== undefined ? { versionId } : {}) };
}

/** The copy-source preconditions S3 defines, checked against the version actually opened. */
const COPY_CONDITIONS = {
  'x-amz-copy-source-if-match': (v: string, o: ObjectInfo) => etagList(v).some((e) => e === '*' || e === o.etag),
  'x-amz-copy-source-if-none-match': (v: string, o: ObjectInfo) => !etagList(v).some((e) => e === '*' || e === o.etag),
  'x-amz-copy-source-if-modified-since': (v: string, o: ObjectInfo) => !(Date.parse(v) >= Math.floor(o.lastModified.getTime() / 1000) * 1000),
  'x-amz-copy-source-if-unmodified-since': (v: string, o: ObjectInfo) => Math.floor(o.lastModified.getTime() / 1000) * 1000 <= Date.parse(v),
} as const satisfies Record<string, (value: string, info: ObjectInfo) => boolean>;

function etagList(v: string): string[] {
  return v.split(',').map((e) => e.trim().replace(/^W\//, '').replace(/^"|"$/g, ''));
}

function checkCopyConditions(req: IncomingMessage, src: ObjectInfo & { body: { destroy(): void } }): void {
  for (const [name, holds] of Object.entries(COPY_CONDITIONS)) {
    const value = single(req.headers[name]);
    if (value !== undefined && !holds(value, src)) {
      src.body.destroy();
      throw new ObjectsError('PreconditionFailed');
    }
  }
}

/** Tags are not stored: refusing them beats dropping them silently. */
function rejectTags(req: IncomingMessage): void {
  if (req.headers['x-amz-tagging'] !== undefined) throw new ObjectsError('NotImplemented', 'Object tags are not implemented.');
}

function copySourceVersion(versionId: string): Record<string, string> {
  return versionId !== NULL_VERSION_ID ? { 'x-amz-copy-source-version-id': versionId } : {};
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function parseMaxKeys(v: string | undefined): number {
  if (v === undefined) return 1000;
  if (!/^\d{1,9}$/.test(v)) throw new ObjectsError('InvalidArgument', 'Provided max-keys not an integer or within integer range');
  return Math.min(Number(v), 1000);
}

/** With `encoding-type=url`, keys and prefixes are percent-encoded in list results. */
function encoder(q: Map<string, string>): (s: string) => string {
  const enc = q.get('encoding-type');
  if (enc === undefined) return (s) => s;
  if (enc !== 'url') throw new ObjectsError('InvalidArgument', 'Invalid Encoding Method specified in Request');
  return (s) => encodeURIComponent(s).replace(/%2F/g, '/');
}

function objectEntry(o: { key: string; lastModified: Date; etag: string; size: number }, enc: (s: string) => string): XmlNode[] {
  return [
    ['Key', enc(o.key)],
    ['LastModified', o.lastModified.toISOString()],
    ['ETag', `"${o.etag}"`],
    ['Size', o.size],
    ['StorageClass', 'STANDARD'],
  ];
}

function userMetadata(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) out[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

function objectHeaders(info: ObjectInfo, q: Map<string, string>): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': q.get('response-content-type') ?? info.contentType,
    etag: `"${info.etag}"`,
    'last-modified': info.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
  };
  if (info.versionId !== NULL_VERSION_ID || q.has('versionId')) h['x-amz-version-id'] = info.versionId;
  for (const [k, v] of Object.entries(info.metadata)) h[`x-amz-meta-${k}`] = v;
  return h;
}
