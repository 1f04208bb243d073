import type { MemberRef, ServiceModel, Shape } from './model.js';
import { OPEN_ENUMS } from './model.js';

/** A request as the codec needs it: path labels, decoded query and the JSON body text. */
export interface WireInput {
  labels: Record<string, string>;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Problems an error message lists; the rest are counted, so a request with 40,000 bad members gets a short answer. */
export const MAX_LISTED_PROBLEMS = 10;

function listProblems(problems: readonly string[]): string {
  const shown = problems.slice(0, MAX_LISTED_PROBLEMS).join('; ');
  const more = problems.length - MAX_LISTED_PROBLEMS;
  return more > 0 ? `${shown}; …and ${more.toLocaleString('en-US')} more` : shown;
}

/** Thrown for input that does not fit the model; `problems` use AWS's sentence shape. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly kind: 'validation' | 'serialization',
    readonly problems: string[],
  ) {
    super(
      kind === 'serialization'
        ? listProblems(problems)
        : `${problems.length} validation error${problems.length === 1 ? '' : 's'} detected: ${listProblems(problems)}`,
    );
  }
}

/** A value as an error message quotes it (80 characters at most). Blobs (payloads) are never quoted, only measured. */
const show = (v: unknown): string => {
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
};
/** The POSIX classes of java.util.regex (ASCII, as Java reads them) that the IoT model uses, in JS syntax. */
const JAVA_CLASSES: Record<string, string> = { Upper: 'A-Z', Lower: 'a-z', Digit: '0-9', Alpha: 'A-Za-z', Alnum: 'A-Za-z0-9', Graph: '!-~', Print: ' -~' };
function javaClasses(pattern: string): string {
  return pattern.replace(/\\p\{(Upper|Lower|Digit|Alpha|Alnum|Graph|Print)\}/g, (_, c: string, at: number) => {
    // Inside a character class the range joins it; outside, it becomes a class of its own.
    const before = pattern.slice(0, at);
    const inClass = before.lastIndexOf('[') > before.lastIndexOf(']');
    return inClass ? JAVA_CLASSES[c]! : `[${JAVA_CLASSES[c]!}]`;
  });
}
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Parses and validates operation input against the model: locations, types, required members,
 * min/max/pattern/enum, list and map limits. One generic walker for all 19 operations.
 */
export class Codec {
  private readonly patterns = new Map<string, RegExp>();
  /**
   * `wholePatterns`: a pattern must match the whole value, as the AWS IoT services check their
   * (unanchored, java.util.regex) patterns; the Signer model anchors its own where it means to.
   */
  constructor(
    private readonly model: ServiceModel,
    private readonly opts: { wholePatterns?: boolean } = {},
  ) {}

  private shape(name: string): Shape {
    const s = this.model.shapes[name];
    if (!s) throw new Error(`model has no shape ${name}`);
    return s;
  }

  /** Builds the validated input object of an operation from the wire. */
  parseInput(inputShape: string | undefined, wire: WireInput): Record<string, unknown> {
    if (!inputShape) return {};
    const shape = this.shape(inputShape);
    const problems: string[] = [];
    const input: Record<string, unknown> = {};
    const bodyMembers = Object.entries(shape.members ?? {}).filter(([, m]) => m.location === undefined);
    let body: Record<string, unknown> = {};
    if (wire.body.trim() !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(wire.body);
      } catch {
        throw new InputError('serialization', ['The request body is not valid JSON.']);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new InputError('serialization', ['The request body must be a JSON object.']);
      }
      body = parsed as Record<string, unknown>;
    }
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      const wireName = ref.locationName ?? name;
      let value: unknown;
      switch (ref.location) {
        case 'uri':
          value = wire.labels[wireName];
          if (value !== undefined) value = this.fromText(ref, value as string, name, problems);
          break;
        case 'querystring': {
          const q = wire.query[wireName];
          if (q !== undefined) value = this.fromQuery(ref, q, name, problems);
          break;
        }
        case 'header': {
          const h = wire.headers[wireName.toLowerCase()];
          if (h !== undefined) value = this.fromText(ref, Array.isArray(h) ? h.join(',') : h, name, problems);
          break;
        }
        default:
          if (bodyMembers.length && name in body) value = this.fromJson(ref, body[name], name, problems);
      }
      if (value !== undefined) input[name] = value;
    }
    this.validate(shape, input, '', problems);
    if (problems.length) throw new InputError('validation', problems);
    return input;
  }

  private fromText(ref: MemberRef, text: string, path: string, problems: string[]): unknown {
    const shape = this.shape(ref.shape);
    switch (shape.type) {
      case 'integer':
      case 'long': {
        if (!/^-?\d+$/.test(text)) {
          problems.push(`Value '${show(text)}' at '${path}' failed to satisfy constraint: Member must be an integer`);
          return undefined;
        }
        return Number(text);
      }
      case 'boolean':
        if (text !== 'true' && text !== 'false') {
          problems.push(`Value '${show(text)}' at '${path}' failed to satisfy constraint: Member must be true or false`);
          return undefined;
        }
        return text === 'true';
      case 'timestamp': {
        const d = /^\d+(\.\d+)?$/.test(text) ? new Date(Number(text) * 1000) : new Date(text);
        if (Number.isNaN(d.getTime())) {
          problems.push(`Value '${show(text)}' at '${path}' failed to satisfy constraint: Member must be an ISO-8601 date-time`);
          return undefined;
        }
        return d;
      }
      default:
        return text;
    }
  }

  private fromQuery(ref: MemberRef, q: string | string[], path: string, problems: string[]): unknown {
    const shape = this.shape(ref.shape);
    if (shape.type === 'list' && shape.member) {
      const values = Array.isArray(q) ? q : [q];
      return values.map((v, i) => this.fromText(shape.member!, v, `${path}.${i + 1}.member`, problems));
    }
    if (Array.isArray(q)) {
      problems.push(`Value at '${path}' failed to satisfy constraint: Member must be given once`);
      return undefined;
    }
    return this.fromText(ref, q, path, problems);
  }

  private fromJson(ref: MemberRef, v: unknown, path: string, problems: string[]): unknown {
    if (v === null || v === undefined) return undefined;
    const shape = this.shape(ref.shape);
    const bad = (what: string) => {
      problems.push(`Value '${show(v)}' at '${path}' failed to satisfy constraint: Member must be ${what}`);
      return undefined;
    };
    switch (shape.type) {
      case 'string':
        return typeof v === 'string' ? v : bad('a string');
      case 'integer':
      case 'long':
        return typeof v === 'number' && Number.isInteger(v) ? v : bad('an integer');
      case 'double':
      case 'float':
        return typeof v === 'number' ? v : bad('a number');
      case 'boolean':
        return typeof v === 'boolean' ? v : bad('a boolean');
      case 'timestamp':
        // restJson1 bodies carry epoch seconds; be lenient with ISO-8601 strings from hand-written clients.
        if (typeof v === 'number' && Number.isFinite(v)) return new Date(v * 1000);
        if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return new Date(v);
        return bad('a timestamp (epoch seconds)');
      case 'blob':
        if (typeof v !== 'string' || !BASE64.test(v)) {
          // Never quote a blob's text: it is a payload.
          problems.push(`Value at '${path}' failed to satisfy constraint: Member must be base64-encoded`);
          return undefined;
        }
        return new Uint8Array(Buffer.from(v, 'base64'));
      case 'list':
        if (!Array.isArray(v)) return bad('a list');
        return v.map((x, i) => this.fromJson(shape.member!, x, `${path}.${i + 1}.member`, problems));
      case 'map': {
        if (typeof v !== 'object' || Array.isArray(v)) return bad('a map');
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
          const val = this.fromJson(shape.value!, x, `${path}.${k}`, problems);
          if (val !== undefined) out[k] = val;
        }
        return out;
      }
      case 'structure': {
        if (typeof v !== 'object' || Array.isArray(v)) return bad('an object');
        const out: Record<string, unknown> = {};
        for (const [name, mref] of Object.entries(shape.members ?? {})) {
          const val = this.fromJson(mref, (v as Record<string, unknown>)[name], `${path}.${name}`, problems);
          if (val !== undefined) out[name] = val;
        }
        return out;
      }
      default:
        return bad('of a supported type');
    }
  }

  private regex(pattern: string): RegExp {
    let r = this.patterns.get(pattern);
    if (!r) {
      r = new RegExp(this.opts.wholePatterns ? `^(?:${javaClasses(pattern)})$` : javaClasses(pattern), 'u');
      this.patterns.set(pattern, r);
    }
    return r;
  }

  /** Checks constraints of an already-typed value (recursively). */
  private validate(shape: Shape, value: unknown, path: string, problems: string[], shapeName?: string): void {
    const at = path || 'input';
    const fail = (c: string) => problems.push(`Value '${show(value)}' at '${at}' failed to satisfy constraint: ${c}`);
    switch (shape.type) {
      case 'structure': {
        const obj = value as Record<string, unknown>;
        for (const req of shape.required ?? []) {
          if (obj[req] === undefined) problems.push(`Value null at '${path ? path + '.' : ''}${req}' failed to satisfy constraint: Member must not be null`);
        }
        for (const [name, ref] of Object.entries(shape.members ?? {})) {
          if (obj[name] !== undefined) this.validate(this.shape(ref.shape), obj[name], path ? `${path}.${name}` : name, problems, ref.shape);
        }
        return;
      }
      case 'string': {
        const s = value as string;
        const len = [...s].length;
        if (shape.min !== undefined && len < shape.min) fail(`Member must have length greater than or equal to ${shape.min}`);
        if (shape.max !== undefined && len > shape.max) fail(`Member must have length less than or equal to ${shape.max}`);
        if (shape.pattern !== undefined && !this.regex(shape.pattern).test(s)) fail(`Member must satisfy regular expression pattern: ${shape.pattern}`);
        if (shape.enum && !(shapeName && OPEN_ENUMS.has(shapeName)) && !shape.enum.includes(s)) {
          fail(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
        }
        return;
      }
      case 'integer':
      case 'long': {
        const n = value as number;
        if (shape.min !== undefined && n < shape.min) fail(`Member must have value greater than or equal to ${shape.min}`);
        if (shape.max !== undefined && n > shape.max) fail(`Member must have value less than or equal to ${shape.max}`);
        return;
      }
      case 'blob': {
        const b = value as Uint8Array;
        if (shape.min !== undefined && b.length < shape.min) fail(`Member must have length greater than or equal to ${shape.min}`);
        if (shape.max !== undefined && b.length > shape.max) fail(`Member must have length less than or equal to ${shape.max}`);
        return;
      }
      case 'list': {
        const l = value as unknown[];
        if (shape.min !== undefined && l.length < shape.min) fail(`Member must have length greater than or equal to ${shape.min}`);
        if (shape.max !== undefined && l.length > shape.max) fail(`Member must have length less than or equal to ${shape.max}`);
        l.forEach((x, i) => x !== undefined && this.validate(this.shape(shape.member!.shape), x, `${at}.${i + 1}.member`, problems, shape.member!.shape));
        return;
      }
      case 'map': {
        const m = value as Record<string, unknown>;
        const n = Object.keys(m).length;
        if (shape.min !== undefined && n < shape.min) fail(`Member must have length greater than or equal to ${shape.min}`);
        if (shape.max !== undefined && n > shape.max) fail(`Member must have length less than or equal to ${shape.max}`);
        for (const [k, x] of Object.entries(m)) {
          this.validate(this.shape(shape.key!.shape), k, `${at}.key`, problems, shape.key!.shape);
          this.validate(this.shape(shape.value!.shape), x, `${at}.${k}`, problems, shape.value!.shape);
        }
        return;
      }
      default:
        return;
    }
  }

  /** Serializes an operation's output: exactly the model's members, timestamps as epoch seconds, blobs base64. */
  serializeOutput(outputShape: string | undefined, value: unknown): string {
    if (!outputShape) return '{}';
    return JSON.stringify(this.toJson(this.shape(outputShape), value) ?? {});
  }

  private toJson(shape: Shape, v: unknown): unknown {
    if (v === undefined || v === null) return undefined;
    switch (shape.type) {
      case 'structure': {
        const out: Record<string, unknown> = {};
        for (const [name, ref] of Object.entries(shape.members ?? {})) {
          if (ref.location) continue;
          const x = this.toJson(this.shape(ref.shape), (v as Record<string, unknown>)[name]);
          if (x !== undefined) out[name] = x;
        }
        return out;
      }
      case 'list':
        return (v as unknown[]).map((x) => this.toJson(this.shape(shape.member!.shape), x));
      case 'map': {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = this.toJson(this.shape(shape.value!.shape), x);
        return out;
      }
      case 'timestamp':
        return (v as Date).getTime() / 1000;
      case 'blob':
        return Buffer.from(v as Uint8Array).toString('base64');
      default:
        return v;
    }
  }
}
