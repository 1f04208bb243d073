/**
 * Derives the wire contract the server runs on from the botocore Signer model:
 * operations, HTTP bindings, shapes, constraints and error shapes — no documentation prose.
 *
 * Run once when the model changes: `npm run model:derive -- <path to service-2.json>`.
 * The output (`signer-model.json`) is committed; the server never reads ../shared at run time.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Json = Record<string, unknown>;

const KEEP_SHAPE_KEYS = [
  'type', 'required', 'members', 'member', 'key', 'value', 'min', 'max', 'pattern', 'enum',
  'error', 'exception', 'timestampFormat', 'payload', 'deprecated',
];
const KEEP_MEMBER_KEYS = ['shape', 'location', 'locationName', 'idempotencyToken', 'deprecated', 'timestampFormat'];

function pick(obj: Json, keys: readonly string[]): Json {
  const out: Json = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

export function deriveModel(service: Json): Json {
  const operations: Json = {};
  for (const [name, op] of Object.entries(service.operations as Record<string, Json>)) {
    const o: Json = { http: op.http };
    if (op.input) o.input = (op.input as Json).shape;
    if (op.output) o.output = (op.output as Json).shape;
    o.errors = ((op.errors as Json[] | undefined) ?? []).map((e) => e.shape);
    if (op.endpoint) o.endpoint = op.endpoint;
    operations[name] = o;
  }
  const shapes: Json = {};
  for (const [name, shape] of Object.entries(service.shapes as Record<string, Json>)) {
    const s = pick(shape, KEEP_SHAPE_KEYS);
    if (shape.members) {
      const members: Json = {};
      for (const [m, def] of Object.entries(shape.members as Record<string, Json>)) members[m] = pick(def, KEEP_MEMBER_KEYS);
      s.members = members;
    }
    if (shape.member) s.member = pick(shape.member as Json, KEEP_MEMBER_KEYS);
    if (shape.key) s.key = pick(shape.key as Json, KEEP_MEMBER_KEYS);
    if (shape.value) s.value = pick(shape.value as Json, KEEP_MEMBER_KEYS);
    shapes[name] = s;
  }
  const meta = service.metadata as Json;
  return {
    source: 'botocore signer 2017-08-25 service-2.json (derived: documentation removed)',
    metadata: pick(meta, ['apiVersion', 'protocol', 'signingName', 'endpointPrefix', 'serviceId', 'jsonVersion']),
    operations,
    shapes,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const src = process.argv[2] ?? '../shared/reference/signer-api/service-2.json';
  const out = fileURLToPath(new URL('./signer-model.json', import.meta.url));
  const model = deriveModel(JSON.parse(readFileSync(src, 'utf8')) as Json);
  writeFileSync(out, JSON.stringify(model, null, 1) + '\n');
  console.log(`wrote ${out}`);
}
