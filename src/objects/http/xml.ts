/**
 * The little XML the S3 REST API needs: writing responses, and reading the
 * two request bodies this endpoint accepts (VersioningConfiguration,
 * CompleteMultipartUpload). Reading is strict: anything else is MalformedXML.
 *
 * @packageDocumentation
 */
import { ObjectsError } from '../objects-error.js';
import type { UploadedPart, VersioningStatus } from '../object-store.types.js';

/** The S3 XML namespace, defined once. */
export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** An element: name, then text or children. `undefined` children are skipped. */
export type XmlNode = readonly [name: string, content: string | number | boolean | readonly (XmlNode | undefined)[]];

/** Escapes text for XML content. Characters XML 1.0 cannot carry at all become U+FFFD. */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function render(node: XmlNode, xmlns?: string): string {
  const [name, content] = node;
  const open = xmlns ? `<${name} xmlns="${xmlns}">` : `<${name}>`;
  if (typeof content === 'string') return `${open}${escapeXml(content)}</${name}>`;
  if (typeof content === 'number' || typeof content === 'boolean') return `${open}${String(content)}</${name}>`;
  return `${open}${content.map((c) => (c ? render(c) : '')).join('')}</${name}>`;
}

/** Serialises a document with the XML declaration and the S3 namespace on the root. */
export function xmlDocument(root: XmlNode, withNamespace = true): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${render(root, withNamespace ? S3_XMLNS : undefined)}`;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number.parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? '';
  });
}

/** Strips the declaration and finds the root element's inner text; MalformedXML otherwise. */
function rootInner(xml: string, root: string): string {
  const body = xml.replace(/^\uFEFF?\s*(<\?xml[^?]*\?>)?\s*/, '').trimEnd();
  const m = new RegExp(`^<${root}(\\s+xmlns(:\\w+)?="[^"]*")?\\s*>([\\s\\S]*)</${root}>$`).exec(body);
  if (m) return m[3] ?? '';
  if (new RegExp(`^<${root}(\\s+xmlns(:\\w+)?="[^"]*")?\\s*/>$`).test(body)) return '';
  throw new ObjectsError('MalformedXML');
}

/** Parses a PutBucketVersioning body. MFADelete is not supported and must be absent or Disabled. */
export function parseVersioningConfiguration(xml: string): VersioningStatus {
  const inner = rootInner(xml, 'VersioningConfiguration');
  const rest = inner.replace(/<MfaDelete>Disabled<\/MfaDelete>/, '');
  const m = /^\s*<Status>(Enabled|Suspended)<\/Status>\s*$/.exec(rest);
  if (!m?.[1]) throw new ObjectsError('MalformedXML');
  return m[1] as VersioningStatus;
}

/** Parses a CompleteMultipartUpload body into its part list (order kept, checked by the store). */
export function parseCompleteMultipartUpload(xml: string): UploadedPart[] {
  const inner = rootInner(xml, 'CompleteMultipartUpload');
  const parts: UploadedPart[] = [];
  const leftover = inner.replace(/<Part>([\s\S]*?)<\/Part>/g, (_, part: string) => {
    const num = /<PartNumber>\s*(\d{1,5})\s*<\/PartNumber>/.exec(part);
    const etag = /<ETag>([^<]*)<\/ETag>/.exec(part);
    if (!num?.[1] || etag?.[1] === undefined) throw new ObjectsError('MalformedXML');
    parts.push({ partNumber: Number(num[1]), etag: unescapeXml(etag[1]).trim().replace(/^"|"$/g, '') });
    return '';
  });
  if (leftover.trim() !== '' || parts.length === 0) throw new ObjectsError('MalformedXML');
  return parts;
}

/** One entry of a DeleteObjects request. */
export interface DeleteObjectsEntry {
  readonly key: string;
  readonly versionId?: string;
}

/** Most keys one DeleteObjects request may name (S3's limit). */
export const MAX_DELETE_OBJECTS = 1000;

/** Parses a DeleteObjects (`POST /bucket?delete`) body. */
export function parseDeleteObjects(xml: string): { quiet: boolean; objects: DeleteObjectsEntry[] } {
  const inner = rootInner(xml, 'Delete');
  let quiet = false;
  const objects: DeleteObjectsEntry[] = [];
  const leftover = inner
    .replace(/<Quiet>(true|false)<\/Quiet>/, (_, q: string) => {
      quiet = q === 'true';
      return '';
    })
    .replace(/<Object>([\s\S]*?)<\/Object>/g, (_, obj: string) => {
      const key = /<Key>([^<]*)<\/Key>/.exec(obj);
      const version = /<VersionId>([^<]*)<\/VersionId>/.exec(obj);
      const rest = obj.replace(/<Key>[^<]*<\/Key>/, '').replace(/<VersionId>[^<]*<\/VersionId>/, '').replace(/<(ETag|LastModifiedTime|Size)>[^<]*<\/\1>/g, '');
      if (key?.[1] === undefined || rest.trim() !== '') throw new ObjectsError('MalformedXML');
      objects.push({ key: unescapeXml(key[1]), ...(version?.[1] !== undefined ? { versionId: unescapeXml(version[1]) } : {}) });
      return '';
    });
  if (leftover.trim() !== '' || objects.length === 0 || objects.length > MAX_DELETE_OBJECTS) throw new ObjectsError('MalformedXML');
  return { quiet, objects };
}
