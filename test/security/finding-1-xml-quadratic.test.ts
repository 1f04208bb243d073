/**
 * Finding 1 (XML): S3 XML request bodies were parsed with lazy regular expressions, so 1 MiB of
 * `<Part>` openings took a minute of one core and froze both APIs. Now saxes reads them in one
 * pass under size/element/depth limits. Checked three ways: the probe's exact bodies through the
 * endpoint answer MalformedXML; the reader's work (characters and SAX events) is bounded by a
 * constant times the input for adversarial shapes (property-based); and its time on 16× the input
 * is far below what a quadratic reader needs (relative to a baseline measured in the same test).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsObjectStore } from '../../src/objects/fs/fs-object-store.js';
import { startEmbeddedS3, type EmbeddedS3 } from '../../src/objects/http/embedded-s3.js';
import { parseCompleteMultipartUpload, parseDeleteObjects, parseVersioningConfiguration, readXml, type XmlMeter } from '../../src/objects/http/xml.js';
import { ObjectsError } from '../../src/objects/objects-error.js';
import { createTestAuthenticator, TEST_CREDENTIALS } from '../../src/objects/test-support/s3-test-authenticator.js';
import { s3Signed } from '../support/s3-raw.js';

const MiB = 1024 * 1024;
const CMU = (inner: string) => `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</CompleteMultipartUpload>`;

function code(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e instanceof ObjectsError ? e.code : `${(e as Error).name}: ${(e as Error).message}`;
  }
}

/** The adversarial shapes, each of about `n` characters. */
const SHAPES: Record<string, (n: number) => string> = {
  'deep nesting': (n) => '<a>'.repeat(Math.floor(n / 7)) + '</a>'.repeat(Math.floor(n / 7)),
  'part openings without closings': (n) => CMU('<Part>'.repeat(Math.floor(n / 6))),
  'object openings without closings': (n) => `<Delete>${'<Object>'.repeat(Math.floor(n / 8))}</Delete>`,
  'huge attribute count': (n) => `<CompleteMultipartUpload${Array.from({ length: Math.floor(n / 10) }, (_, i) => ` a${i}="x"`).join('')}></CompleteMultipartUpload>`,
  'many namespace attributes': (n) => `<Delete${Array.from({ length: Math.floor(n / 16) }, (_, i) => ` xmlns:p${i}="u"`).join('')}/>`,
  'many complete parts': (n) => CMU('<Part><PartNumber>1</PartNumber><ETag>"e"</ETag></Part>'.repeat(Math.floor(n / 56))),
  'flat siblings with whitespace': (n) => CMU('<Part> </Part>\n'.repeat(Math.floor(n / 15))),
  'character references': (n) => CMU(`<Part><PartNumber>1</PartNumber><ETag>${'&#x41;'.repeat(Math.floor(n / 6))}</ETag></Part>`),
  'unclosed comment': (n) => CMU('<!--' + '-'.repeat(n)),
  'unclosed CDATA': (n) => CMU('<Part><ETag><![CDATA[' + ']'.repeat(n)),
  'unclosed text': (n) => CMU('<Part><ETag>' + 'a'.repeat(n)),
  'unclosed attribute value': (n) => `<Delete xmlns="${'u'.repeat(n)}`,
};

const PARSERS = [parseCompleteMultipartUpload, parseDeleteObjects, parseVersioningConfiguration];

describe('finding 1: S3 XML bodies are parsed in linear time under limits', () => {
  it("the probe's bodies (1 MiB of <Part> openings, 512 KB of <Object> openings) are MalformedXML", () => {
    const parts = CMU('<Part>'.repeat(174_760));
    expect(parts.length).toBeGreaterThan(MiB - 1024);
    expect(code(() => parseCompleteMultipartUpload(parts))).toBe('MalformedXML');
    expect(code(() => parseDeleteObjects(`<Delete>${'<Object>'.repeat(64_000)}</Delete>`))).toBe('MalformedXML');
  });

  it('limits: too many elements, too deep, too large are MalformedXML; within them parses', () => {
    const limits = { maxBytes: 4096, maxElements: 20, maxDepth: 4 };
    const part = '<Part><PartNumber>1</PartNumber><ETag>"e"</ETag></Part>';
    expect(parseCompleteMultipartUpload(CMU(part.repeat(6)), limits)).toHaveLength(6);
    expect(code(() => parseCompleteMultipartUpload(CMU(part.repeat(7)), limits))).toBe('MalformedXML');
    expect(code(() => parseCompleteMultipartUpload(CMU('<Part><ETag><x><y/></x></ETag></Part>'), limits))).toBe('MalformedXML');
    expect(code(() => parseCompleteMultipartUpload(CMU(part + ' '.repeat(4096)), limits))).toBe('MalformedXML');
    expect(code(() => parseCompleteMultipartUpload('<!DOCTYPE x [<!ENTITY a "b">]>' + CMU(part)))).toBe('MalformedXML');
  });

  it('property: the work (characters fed + SAX events handled) is at most linear in the input, for every adversarial shape', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(SHAPES)), fc.integer({ min: 10, max: 200_000 }), (shape, n) => {
        const xml = SHAPES[shape]!(n);
        const meter: XmlMeter = { chars: 0, events: 0 };
        let outcome = 'ok';
        try {
          readXml(xml, undefined, meter);
        } catch (e) {
          outcome = e instanceof ObjectsError ? e.code : 'other';
        }
        expect(outcome === 'ok' || outcome === 'MalformedXML').toBe(true);
        expect(meter.chars).toBeLessThanOrEqual(xml.length);
        // Every event is set off by at least one character of markup.
        expect(meter.events).toBeLessThanOrEqual(xml.length + 1);
        for (const parse of PARSERS) expect(['ok', 'MalformedXML']).toContain(code(() => parse(xml)));
      }),
      { numRuns: 60 },
    );
  });

  it('property: 16× the input costs far less than the 256× a quadratic reader needs (time relative to the same test)', () => {
    // Time per call, repeated until a run lasts ≥ 20 ms (so tiny inputs are measurable), best of 3 runs.
    const best = (xml: string): number => {
      let min = Infinity;
      for (let run = 0; run < 3; run++) {
        let calls = 0;
        const t0 = performance.now();
        let elapsed = 0;
        do {
          for (const parse of PARSERS) code(() => parse(xml));
          calls++;
          elapsed = performance.now() - t0;
        } while (elapsed < 20);
        min = Math.min(min, elapsed / calls);
      }
      return min;
    };
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(SHAPES)), (shape) => {
        const make = SHAPES[shape]!;
        best(make(64 * 1024)); // warm the JIT up on this shape
        const small = best(make(64 * 1024));
        const large = best(make(16 * 64 * 1024));
        // Linear: ≈ 16×. Allow 4× for garbage collection and a shared machine (≤ 64): a quadratic reader needs 256×.
        expect(large / small).toBeLessThanOrEqual(64);
      }),
      { numRuns: Object.keys(SHAPES).length },
    );
  });
});

describe('finding 1 through the endpoint', () => {
  let server: EmbeddedS3;
  let root: string;
  const { alice } = TEST_CREDENTIALS;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sec-xml-'));
    server = await startEmbeddedS3({ store: await createFsObjectStore({ root, fsync: false }), authenticate: createTestAuthenticator() });
    expect((await s3Signed(server.url, alice, { method: 'PUT', path: '/xml-bucket' })).status).toBe(200);
  });
  afterAll(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  it('a signed POST ?uploadId=<anything> with 1 MiB of <Part> openings is 400 MalformedXML', async () => {
    const r = await s3Signed(server.url, alice, { method: 'POST', path: '/xml-bucket/any-key', query: { uploadId: 'no-such-upload' }, body: CMU('<Part>'.repeat(174_760)) });
    expect({ status: r.status, code: r.code }).toEqual({ status: 400, code: 'MalformedXML' });
  });

  it('a signed POST ?delete with 512 KB of <Object> openings is 400 MalformedXML', async () => {
    const body = `<Delete>${'<Object>'.repeat(64_000)}</Delete>`;
    const md5 = createHash('md5').update(body).digest('base64');
    const r = await s3Signed(server.url, alice, { method: 'POST', path: '/xml-bucket', query: { delete: '' }, headers: { 'content-md5': md5 }, body });
    expect({ status: r.status, code: r.code }).toEqual({ status: 400, code: 'MalformedXML' });
  });
});
