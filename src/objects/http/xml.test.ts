import { describe, expect, it } from 'vitest';
import { ObjectsError } from '../objects-error.js';
import { escapeXml, parseCompleteMultipartUpload, parseDeleteObjects, parseVersioningConfiguration, xmlDocument } from './xml.js';

function code(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e instanceof ObjectsError ? e.code : String(e);
  }
}

describe('XML', () => {
  it('[PutBucketVersioning] accepts the shapes SDKs and the CLI send', () => {
    expect(parseVersioningConfiguration('<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>')).toBe('Enabled');
    expect(parseVersioningConfiguration('<?xml version="1.0" encoding="UTF-8"?>\n<VersioningConfiguration>\n  <Status>Suspended</Status>\n</VersioningConfiguration>\n')).toBe('Suspended');
    expect(parseVersioningConfiguration('<VersioningConfiguration><MfaDelete>Disabled</MfaDelete><Status>Enabled</Status></VersioningConfiguration>')).toBe('Enabled');
  });

  const badVersioning = [
    '',
    'Enabled',
    '<VersioningConfiguration/>',
    '<VersioningConfiguration><Status>enabled</Status></VersioningConfiguration>',
    '<VersioningConfiguration><Status>Enabled</Status><Status>Suspended</Status></VersioningConfiguration>',
    '<VersioningConfiguration><MfaDelete>Enabled</MfaDelete><Status>Enabled</Status></VersioningConfiguration>',
    '<VersioningConfiguration><Status>Enabled</Status>',
    '<Other><Status>Enabled</Status></Other>',
    '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration><x/>',
  ];
  for (const body of badVersioning) {
    it(`[PutBucketVersioning] rejects ${JSON.stringify(body).slice(0, 60)} as MalformedXML`, () => {
      expect(code(() => parseVersioningConfiguration(body))).toBe('MalformedXML');
    });
  }

  it('[CompleteMultipartUpload] reads parts in order, unquoting etags (also &quot;-escaped)', () => {
    const xml = `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
      <Part><ETag>&quot;aa&quot;</ETag><PartNumber>1</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>
      <Part><PartNumber>2</PartNumber><ETag>"bb"</ETag></Part>
    </CompleteMultipartUpload>`;
    expect(parseCompleteMultipartUpload(xml)).toEqual([
      { partNumber: 1, etag: 'aa' },
      { partNumber: 2, etag: 'bb' },
    ]);
  });

  const badComplete = [
    '<CompleteMultipartUpload></CompleteMultipartUpload>',
    '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>',
    '<CompleteMultipartUpload><Part><ETag>"a"</ETag></Part></CompleteMultipartUpload>',
    '<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>"a"</ETag></Part></CompleteMultipartUpload>',
    '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part>junk</CompleteMultipartUpload>',
    '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part>',
  ];
  for (const body of badComplete) {
    it(`[CompleteMultipartUpload] rejects ${JSON.stringify(body).slice(0, 70)} as MalformedXML`, () => {
      expect(code(() => parseCompleteMultipartUpload(body))).toBe('MalformedXML');
    });
  }

  it('escapes markup and characters XML cannot carry', () => {
    expect(escapeXml(`<a href="x">&'\u0001`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;\uFFFD');
    expect(xmlDocument(['R', [['K', 'a&b'], undefined, ['N', 3], ['B', true]]])).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<R xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><K>a&amp;b</K><N>3</N><B>true</B></R>',
    );
  });

  it('[DeleteObjects] reads keys, version ids and Quiet', () => {
    const xml = '<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key><VersionId>v1</VersionId></Object><Quiet>true</Quiet></Delete>';
    expect(parseDeleteObjects(xml)).toEqual({ quiet: true, objects: [{ key: 'a&b' }, { key: 'c', versionId: 'v1' }] });
  });

  const badDelete = [
    '<Delete></Delete>',
    '<Delete><Object><VersionId>v</VersionId></Object></Delete>',
    '<Delete><Object><Key>a</Key><Bogus/></Object></Delete>',
    '<Delete><Object><Key>a</Key></Object><Quiet>maybe</Quiet></Delete>',
    `<Delete>${'<Object><Key>k</Key></Object>'.repeat(1001)}</Delete>`,
  ];
  for (const body of badDelete) {
    it(`[DeleteObjects] rejects ${JSON.stringify(body).slice(0, 70)} as MalformedXML`, () => {
      expect(code(() => parseDeleteObjects(body))).toBe('MalformedXML');
    });
  }
});
