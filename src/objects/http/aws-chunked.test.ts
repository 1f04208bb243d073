import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveSigningKey } from '../../auth/index.js';
import { ObjectsError, type ObjectsErrorCode } from '../objects-error.js';
import { decodeAwsChunked, type AwsChunkedOptions } from './aws-chunked.js';

// [S3 API "Transferring Payload in Multiple Chunks", Example: PUT Object]
// 66560 bytes of 'a' sent as chunks of 65536, 1024 and 0, with AWS's published signatures.
const EXAMPLE = {
  secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  amzDate: '20130524T000000Z',
  scope: '20130524/us-east-1/s3/aws4_request',
  seed: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
  chunks: [
    [65536, 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648'],
    [1024, '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497'],
    [0, 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9'],
  ] as const,
};
const signing = {
  signingKey: deriveSigningKey(EXAMPLE.secret, '20130524', 'us-east-1', 's3'),
  amzDate: EXAMPLE.amzDate,
  scope: EXAMPLE.scope,
  seedSignature: EXAMPLE.seed,
};

function exampleBody(): Buffer {
  return Buffer.concat(
    EXAMPLE.chunks.map(([size, sig]) =>
      Buffer.concat([Buffer.from(`${size.toString(16)};chunk-signature=${sig}\r\n`), Buffer.alloc(size, 'a'), Buffer.from('\r\n')]),
    ),
  );
}

/** Feeds `body` in pieces of `piece` bytes and collects the output. */
async function decode(body: Buffer, options: AwsChunkedOptions, piece = 1 << 20): Promise<Buffer> {
  async function* source(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < body.length; i += piece) yield body.subarray(i, i + piece);
  }
  const out: Buffer[] = [];
  for await (const c of decodeAwsChunked(source(), options)) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

async function failure(body: Buffer, options: AwsChunkedOptions): Promise<ObjectsErrorCode> {
  try {
    await decode(body, options);
  } catch (err) {
    if (err instanceof ObjectsError) return err.code;
    throw err;
  }
  throw new Error('decoded without error');
}

describe('aws-chunked decoder', () => {
  it('[SigV4 streaming] accepts AWS\'s published signed example, split at any boundary', async () => {
    for (const piece of [1, 7, 4096, 65_541, 1 << 20]) {
      const out = await decode(exampleBody(), { signing, trailer: false }, piece);
      expect(out.length).toBe(66_560);
      expect(out.every((b) => b === 0x61)).toBe(true);
    }
  });

  it('[SigV4 streaming] one flipped payload bit is SignatureDoesNotMatch', async () => {
    const body = exampleBody();
    body.writeUInt8(body.readUInt8(200) ^ 0x01, 200);
    expect(await failure(body, { signing, trailer: false })).toBe('SignatureDoesNotMatch');
  });

  it('[SigV4 streaming] a wrong seed (signature chain broken) is SignatureDoesNotMatch', async () => {
    expect(await failure(exampleBody(), { signing: { ...signing, seedSignature: '0'.repeat(64) }, trailer: false })).toBe('SignatureDoesNotMatch');
  });

  it('[SigV4 streaming] reordered chunks are rejected', async () => {
    const c = (size: number, sig: string): Buffer => Buffer.concat([Buffer.from(`${size.toString(16)};chunk-signature=${sig}\r\n`), Buffer.alloc(size, 'a'), Buffer.from('\r\n')]);
    const [a, b, z] = EXAMPLE.chunks;
    const body = Buffer.concat([c(b[0], b[1]), c(a[0], a[1]), c(z[0], z[1])]);
    expect(await failure(body, { signing, trailer: false })).toBe('SignatureDoesNotMatch');
  });

  it('[STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER] checks the trailer signature and hands over the trailers', async () => {
    // Build a signed-trailer body with our own chain (the chain itself is pinned by the published example above).
    const key = signing.signingKey;
    const empty = sha('');
    const data = Buffer.from('hello trailer');
    const sig1 = hmac(key, ['AWS4-HMAC-SHA256-PAYLOAD', signing.amzDate, signing.scope, signing.seedSignature, empty, sha(data)].join('\n'));
    const sig0 = hmac(key, ['AWS4-HMAC-SHA256-PAYLOAD', signing.amzDate, signing.scope, sig1, empty, empty].join('\n'));
    const trailer = 'x-amz-checksum-crc32:sOO8/Q==';
    const tsig = hmac(key, ['AWS4-HMAC-SHA256-TRAILER', signing.amzDate, signing.scope, sig0, sha(`${trailer}\n`)].join('\n'));
    const body = (ts: string): Buffer =>
      Buffer.from(`${data.length.toString(16)};chunk-signature=${sig1}\r\n${data.toString()}\r\n0;chunk-signature=${sig0}\r\n${trailer}\r\nx-amz-trailer-signature:${ts}\r\n\r\n`);
    let seen: ReadonlyMap<string, string> | undefined;
    const out = await decode(body(tsig), { signing, trailer: true, onTrailers: (t) => (seen = t) }, 3);
    expect(out.toString()).toBe('hello trailer');
    expect(seen?.get('x-amz-checksum-crc32')).toBe('sOO8/Q==');
    expect(await failure(body('f'.repeat(64)), { signing, trailer: true })).toBe('SignatureDoesNotMatch');
  });

  it('[STREAMING-UNSIGNED-PAYLOAD-TRAILER] decodes the SDK framing', async () => {
    const body = Buffer.from('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n');
    let seen: ReadonlyMap<string, string> | undefined;
    const out = await decode(body, { trailer: true, onTrailers: (t) => (seen = t) }, 2);
    expect(out.toString()).toBe('hello world');
    expect(seen?.get('x-amz-checksum-crc32')).toBe('DUoRhQ==');
  });

  const bad: Array<[string, string, AwsChunkedOptions, ObjectsErrorCode]> = [
    ['truncated in data', '5\r\nhel', { trailer: false }, 'IncompleteBody'],
    ['missing final chunk', '5\r\nhello\r\n', { trailer: false }, 'IncompleteBody'],
    ['missing final CRLF', '5\r\nhello\r\n0\r\n', { trailer: false }, 'IncompleteBody'],
    ['size is not hex', 'zz\r\nhello\r\n0\r\n\r\n', { trailer: false }, 'InvalidRequest'],
    ['size too long', `${'f'.repeat(17)}\r\n`, { trailer: false }, 'InvalidRequest'],
    ['data longer than size', '3\r\nhello\r\n0\r\n\r\n', { trailer: false }, 'InvalidRequest'],
    ['garbage after the end', '0\r\n\r\nextra', { trailer: false }, 'InvalidRequest'],
    ['trailer when none announced', '0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n', { trailer: false }, 'InvalidRequest'],
    ['unsigned chunk in a signed stream', '5\r\nhello\r\n0\r\n\r\n', { signing, trailer: false }, 'InvalidRequest'],
    ['signature with uppercase hex', `0;chunk-signature=${'A'.repeat(64)}\r\n\r\n`, { signing, trailer: false }, 'InvalidRequest'],
    ['trailer signature on an unsigned body', '0\r\nx-amz-trailer-signature:abc\r\n\r\n', { trailer: true }, 'InvalidRequest'],
    ['overlong header line', `${'1'.repeat(5000)}`, { trailer: false }, 'InvalidRequest'],
    ['repeated trailer', '0\r\nx-amz-checksum-crc32:A\r\nx-amz-checksum-crc32:B\r\n\r\n', { trailer: true }, 'InvalidRequest'],
    ['empty body', '', { trailer: false }, 'IncompleteBody'],
  ];
  for (const [name, body, options, code] of bad) {
    it(`rejects: ${name} → ${code}`, async () => {
      expect(await failure(Buffer.from(body), options)).toBe(code);
    });
  }
});

function hmac(key: Uint8Array, s: string): string {
  return createHmac('sha256', key).update(s).digest('hex');
}
function sha(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}
