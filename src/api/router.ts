import type { Operation, ServiceModel } from './model.js';

interface Route {
  op: Operation;
  method: string;
  /** Literal segment, or a label name in braces. */
  segments: { literal?: string; label?: string }[];
}

export interface RouteMatch {
  op: Operation;
  /** Path labels, percent-decoded. */
  labels: Record<string, string>;
}

/** Maps METHOD + path to an operation, from the model's HTTP bindings (literal segments win over labels). */
export class Router {
  private readonly routes: Route[];
  constructor(model: ServiceModel) {
    this.routes = Object.values(model.operations).map((op) => ({
      op,
      method: op.http.method,
      segments: op.http.requestUri
        .split('?')[0]!
        .split('/')
        .filter((s) => s !== '')
        .map((s) => (s.startsWith('{') ? { label: s.slice(1, -1).replace(/\+$/, '') } : { literal: s })),
    }));
    // More literal segments first, so /signing-jobs/with-payload beats /signing-jobs/{jobId}.
    this.routes.sort((a, b) => b.segments.filter((s) => s.literal).length - a.segments.filter((s) => s.literal).length);
  }

  /** `rawPath` is the path as received (percent-encoded). Undefined when nothing matches. */
  match(method: string, rawPath: string): RouteMatch | undefined {
    const parts = rawPath.split('/').filter((s) => s !== '');
    for (const exactOnly of [true, false]) {
      for (const r of this.routes) {
        if (r.method !== method) continue;
        const labels = this.tryMatch(r, parts, exactOnly);
        if (labels) return { op: r.op, labels };
      }
    }
    return undefined;
  }

  private tryMatch(r: Route, parts: string[], exactOnly: boolean): Record<string, string> | undefined {
    const last = r.segments[r.segments.length - 1];
    // An ARN label at the end may arrive unencoded (moto-style /tags/arn:aws:…:/signing-profiles/p).
    const greedy = !exactOnly && last?.label?.endsWith('Arn') === true;
    if (parts.length !== r.segments.length && !(greedy && parts.length > r.segments.length)) return undefined;
    const labels: Record<string, string> = {};
    for (let i = 0; i < r.segments.length; i++) {
      const seg = r.segments[i]!;
      const isLast = i === r.segments.length - 1;
      const raw = isLast && greedy ? parts.slice(i).join('/') : parts[i]!;
      if (seg.literal !== undefined) {
        if (seg.literal !== raw) return undefined;
      } else {
        let value: string;
        try {
          value = decodeURIComponent(raw);
        } catch {
          return undefined;
        }
        labels[seg.label!] = value;
      }
    }
    return labels;
  }
}
