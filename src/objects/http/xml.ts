/**
 * The little XML the S3 REST API needs: writing responses, and reading the
 * three request bodies this endpoint accepts (VersioningConfiguration,
 * CompleteMultipartUpload, Delete) with saxes, under size, element and depth
 * limits. Reading is strict: anything else is MalformedXML.
 *
 * @packageDocumentation
 */
import { SaxesParser } from 'saxes';
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

/** Bounds on an XML request body; a body past any of them is MalformedXML before more is read. */
export interface XmlLimits {
  /** Largest body, in UTF-8 bytes. */
  readonly maxBytes: number;
  /** Most elements in the document. */
  readonly maxElements: number;
  /** Deepest nesting (the root is depth 1). */
  readonly maxDepth: number;
}

/** Defaults of {@link XmlLimits}: room for 10,000 parts with checksums; S3's bodies nest 3 deep. */
export const XML_LIMIT_DEFAULTS: XmlLimits = Object.freeze({ maxBytes: 2 * 1024 * 1024, maxElements: 100_000, maxDepth: 16 });

/** Most attributes one element may carry (only `xmlns` declarations are accepted anyway). */
const MAX_ATTRIBUTES = 8;

/** One element of a parsed request body: its children, or its text when it has none. */
export interface XmlElement {
  readonly name: string;
  readonly children: XmlElement[];
  text: string;
}

/** Counts what the reader did, for tests that check its work grows linearly with the input. */
export interface XmlMeter {
  /** Characters handed to the SAX parser. */
  chars: number;
  /** SAX events handled (open and close tags, attributes, text). */
  events: number;
}

function malformed(message?: string): ObjectsError {
  return new ObjectsError('MalformedXML', message);
}

/**
 * Reads a request body into elements with saxes (a streaming, linear-time XML 1.0 parser) under
 * `limits`. Anything that is not a plain element document — a DOCTYPE, comment or CDATA section, attributes other than
 * namespace declarations, text beside child elements, a bad character reference — is MalformedXML.
 */
export function readXml(xml: string, limits: XmlLimits = XML_LIMIT_DEFAULTS, meter?: XmlMeter): XmlElement {
  // UTF-8 takes 1–3 bytes per UTF-16 unit: count the bytes only when the length alone cannot decide.
  if (xml.length > limits.maxBytes || (xml.length * 3 > limits.maxBytes && Buffer.byteLength(xml, 'utf8') > limits.maxBytes)) {
    throw malformed(`The XML body is larger than ${limits.maxBytes} bytes.`);
  }
  const parser = new SaxesParser({ position: false });
  // Per open element: its text pieces (kept only while it has no child), whether it has non-blank
  // text, and whether it has a child. Every event does O(1) work beyond the characters it carries.
  const stack: { el: XmlElement; texts: string[]; hasText: boolean; mixed: boolean }[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let attributes = 0;
  const count = (): void => {
    if (meter) meter.events++;
  };
  parser.on('error', (e) => {
    throw malformed(`The XML is not well-formed: ${e.message.slice(0, 120)}`);
  });
  parser.on('doctype', () => {
    throw malformed('A DOCTYPE is not allowed.');
  });
  parser.on('opentagstart', (tag) => {
    count();
    if (++elements > limits.maxElements) throw malformed(`The XML has more than ${limits.maxElements} elements.`);
    if (stack.length + 1 > limits.maxDepth) throw malformed(`The XML nests deeper than ${limits.maxDepth} elements.`);
    if (stack.length === 0 && root !== undefined) throw malformed('The XML has more than one root element.');
    const parent = stack.at(-1);
    if (parent) {
      if (parent.hasText) throw malformed(`<${parent.el.name}> mixes text and elements.`);
      parent.mixed = true;
      parent.texts.length = 0;
    }
    const el: XmlElement = { name: tag.name, children: [], text: '' };
    parent?.el.children.push(el);
    root ??= el;
    stack.push({ el, texts: [], hasText: false, mixed: false });
    attributes = 0;
  });
  parser.on('attribute', (attr) => {
    count();
    if (++attributes > MAX_ATTRIBUTES) throw malformed(`An element has more than ${MAX_ATTRIBUTES} attributes.`);
    if (attr.name !== 'xmlns' && !attr.name.startsWith('xmlns:')) throw malformed(`Attribute ${attr.name.slice(0, 64)} is not allowed.`);
  });
  parser.on('text', (text) => {
    count();
    const top = stack.at(-1);
    if (!top) {
      if (text.trim() !== '') throw malformed('Text outside the root element.');
      return;
    }
    const blank = text.trim() === '';
    if (top.mixed) {
      if (!blank) throw malformed(`<${top.el.name}> mixes text and elements.`);
      return;
    }
    if (!blank) top.hasText = true;
    top.texts.push(text);
  });
  parser.on('closetag', () => {
    count();
    const top = stack.pop();
    if (top && top.el.children.length === 0) top.el.text = top.texts.join('');
  });
  const CHUNK = 64 * 1024;
  for (let i = 0; i < xml.length; i += CHUNK) {
    // S3 request bodies carry no DOCTYPE, comment or CDATA section; refusing `<!` before saxes sees
    // it keeps the parser off its slowest paths (a megabyte of `]` in an unclosed CDATA section).
    // Checked a chunk at a time (one character of overlap), so a body refused early is not scanned whole.
    const piece = xml.slice(i, i + CHUNK);
    if (xml.slice(Math.max(0, i - 1), i + CHUNK).includes('<!')) throw malformed('DOCTYPE, comments and CDATA sections are not allowed.');
    if (meter) meter.chars += piece.length;
    parser.write(piece);
  }
  parser.close();
  if (!root || stack.length) throw malformed();
  return root;
}

function expectRoot(xml: string, name: string, limits: XmlLimits | undefined): XmlElement {
  const root = readXml(xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml, limits);
  if (root.name !== name) throw malformed(`The root element must be <${name}>.`);
  return root;
}

/** The only child named `name`, when there is one; MalformedXML when there are several. */
function one(el: XmlElement, name: string): XmlElement | undefined {
  let found: XmlElement | undefined;
  for (const c of el.children) {
    if (c.name !== name) continue;
    if (found) throw malformed(`<${el.name}> has more than one <${name}>.`);
    found = c;
  }
  return found;
}

function onlyChildren(el: XmlElement, allowed: readonly string[]): void {
  for (const c of el.children) if (!allowed.includes(c.name)) throw malformed(`<${c.name}> is not allowed in <${el.name}>.`);
  if (el.children.length === 0 && el.text.trim() !== '') throw malformed(`<${el.name}> must contain elements.`);
}

/** Parses a PutBucketVersioning body. MFADelete is not supported and must be absent or Disabled. */
export function parseVersioningConfiguration(xml: string, limits?: XmlLimits): VersioningStatus {
  const root = expectRoot(xml, 'VersioningConfiguration', limits);
  onlyChildren(root, ['Status', 'MfaDelete']);
  const status = one(root, 'Status')?.text;
  const mfa = one(root, 'MfaDelete');
  if (mfa && (mfa.children.length || mfa.text !== 'Disabled')) throw malformed('MfaDelete is not supported.');
  if (status !== 'Enabled' && status !== 'Suspended') throw malformed('Status must be Enabled or Suspended.');
  return status;
}

/** Parses a CompleteMultipartUpload body into its part list (order kept, checked by the store). */
export function parseCompleteMultipartUpload(xml: string, limits?: XmlLimits): UploadedPart[] {
  const root = expectRoot(xml, 'CompleteMultipartUpload', limits);
  onlyChildren(root, ['Part']);
  const parts: UploadedPart[] = [];
  for (const part of root.children) {
    const num = one(part, 'PartNumber');
    const etag = one(part, 'ETag');
    const n = /^\s*(\d{1,5})\s*$/.exec(num?.children.length === 0 ? num.text : '');
    if (!n?.[1] || !etag || etag.children.length) throw malformed('Each Part needs one PartNumber and one ETag.');
    parts.push({ partNumber: Number(n[1]), etag: etag.text.trim().replace(/^"|"$/g, '') });
  }
  if (parts.length === 0) throw malformed('CompleteMultipartUpload names no part.');
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
export function parseDeleteObjects(xml: string, limits?: XmlLimits): { quiet: boolean; objects: DeleteObjectsEntry[] } {
  const root = expectRoot(xml, 'Delete', limits);
  onlyChildren(root, ['Object', 'Quiet']);
  const q = one(root, 'Quiet');
  if (q && q.text !== 'true' && q.text !== 'false') throw malformed('Quiet must be true or false.');
  const objects: DeleteObjectsEntry[] = [];
  for (const o of root.children) {
    if (o.name !== 'Object') continue;
    if (objects.length === MAX_DELETE_OBJECTS) throw malformed(`A Delete request names at most ${MAX_DELETE_OBJECTS} objects.`);
    onlyChildren(o, ['Key', 'VersionId', 'ETag', 'LastModifiedTime', 'Size']);
    const key = one(o, 'Key');
    const version = one(o, 'VersionId');
    if (!key || key.children.length || version?.children.length) throw malformed('Each Object needs one Key.');
    objects.push({ key: key.text, ...(version !== undefined ? { versionId: version.text } : {}) });
  }
  if (objects.length === 0) throw malformed('Delete names no object.');
  return { quiet: q?.text === 'true', objects };
}
