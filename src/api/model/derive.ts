/**
 * Derives the wire contracts the server runs on from botocore models: operations, HTTP bindings,
 * shapes, constraints and error shapes — no documentation prose.
 *
 * Run once when a model changes: `npm run model:derive -- <service> [path to service-2.json]`
 * with <service> one of `signer`, `iot`, `iot-jobs-data` (no argument: all three from ../shared).
 * For IoT only the operations the server implements are kept, with the closure of their shapes,
 * so the committed file stays small. The outputs (`<service>-model.json`) are committed; the server
 * never reads ../shared at run time.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Json = Record<string, unknown>;

const KEEP_SHAPE_KEYS = [
  'type', 'required', 'members', 'member', 'key', 'value', 'min', 'max', 'pattern', 'enum',
  'error', 'exception', 'timestampFormat', 'payload', 'deprecated',
];
const KEEP_MEMBER_KEYS = ['shape', 'location', 'locationName', 'idempotencyToken', 'deprecated', 'timestampFormat'];

/** The AWS IoT control-plane operations the server implements (issue 10). */
export const IOT_OPERATIONS = [
  'CreateThing', 'DescribeThing', 'ListThings', 'UpdateThing', 'DeleteThing',
  'CreateThingGroup', 'DescribeThingGroup', 'ListThingGroups', 'AddThingToThingGroup', 'ListThingsInThingGroup',
  'CreateKeysAndCertificate', 'RegisterCertificateWithoutCA', 'DescribeCertificate', 'ListCertificates', 'UpdateCertificate',
  'AttachThingPrincipal', 'DetachThingPrincipal', 'ListThingPrincipals', 'DescribeEndpoint',
  'CreateStream', 'DescribeStream', 'ListStreams', 'UpdateStream', 'DeleteStream',
  'CreateOTAUpdate', 'GetOTAUpdate', 'ListOTAUpdates', 'DeleteOTAUpdate',
  'CreateJob', 'DescribeJob', 'ListJobs', 'CancelJob', 'DeleteJob',
  'DescribeJobExecution', 'ListJobExecutionsForJob', 'ListJobExecutionsForThing', 'CancelJobExecution', 'GetJobDocument',
  'TagResource', 'UntagResource', 'ListTagsForResource',
] as const;

/** The AWS IoT Jobs data-plane operations served over HTTP. */
export const IOT_JOBS_DATA_OPERATIONS = ['GetPendingJobExecutions', 'StartNextPendingJobExecution', 'DescribeJobExecution', 'UpdateJobExecution'] as const;

interface Target {
  label: string;
  src: string;
  out: string;
  operations?: readonly string[];
}

export const TARGETS: Record<string, Target> = {
  signer: { label: 'botocore signer 2017-08-25', src: '../shared/reference/signer-api/service-2.json', out: 'signer-model.json' },
  iot: { label: 'botocore iot 2015-05-28', src: '../shared/reference/iot-api/iot/service-2.json', out: 'iot-model.json', operations: IOT_OPERATIONS },
  'iot-jobs-data': {
    label: 'botocore iot-jobs-data 2017-09-29',
    src: '../shared/reference/iot-api/iot-jobs-data/service-2.json',
    out: 'iot-jobs-data-model.json',
    operations: IOT_JOBS_DATA_OPERATIONS,
  },
};

function pick(obj: Json, keys: readonly string[]): Json {
  const out: Json = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

/** Shape names reachable from the given roots (members, list members, map keys and values). */
function closure(shapes: Record<string, Json>, roots: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const todo = [...roots];
  while (todo.length) {
    const name = todo.pop()!;
    if (seen.has(name)) continue;
    const shape = shapes[name];
    if (!shape) throw new Error(`model has no shape ${name}`);
    seen.add(name);
    for (const m of Object.values((shape.members as Record<string, Json> | undefined) ?? {})) todo.push(m.shape as string);
    for (const k of ['member', 'key', 'value'] as const) if (shape[k]) todo.push((shape[k] as Json).shape as string);
  }
  return seen;
}

export function deriveModel(service: Json, opts: { label?: string; operations?: readonly string[] } = {}): Json {
  const allOps = service.operations as Record<string, Json>;
  const names = opts.operations ?? Object.keys(allOps);
  const operations: Json = {};
  const roots: string[] = [];
  for (const name of names) {
    const op = allOps[name];
    if (!op) throw new Error(`model has no operation ${name}`);
    const o: Json = { http: op.http };
    if (op.input) roots.push((o.input = (op.input as Json).shape) as string);
    if (op.output) roots.push((o.output = (op.output as Json).shape) as string);
    o.errors = ((op.errors as Json[] | undefined) ?? []).map((e) => e.shape);
    roots.push(...(o.errors as string[]));
    if (op.endpoint) o.endpoint = op.endpoint;
    operations[name] = o;
  }
  const allShapes = service.shapes as Record<string, Json>;
  const keep = opts.operations ? closure(allShapes, roots) : new Set(Object.keys(allShapes));
  const shapes: Json = {};
  for (const [name, shape] of Object.entries(allShapes)) {
    if (!keep.has(name)) continue;
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
    source: `${opts.label ?? 'botocore signer 2017-08-25'} service-2.json (derived: documentation removed${opts.operations ? ', implemented operations only' : ''})`,
    metadata: pick(meta, ['apiVersion', 'protocol', 'signingName', 'endpointPrefix', 'serviceId', 'jsonVersion']),
    operations,
    shapes,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const which = process.argv[2] ? [process.argv[2]] : Object.keys(TARGETS);
  for (const key of which) {
    const target = TARGETS[key];
    if (!target) throw new Error(`unknown model ${key}; one of ${Object.keys(TARGETS).join(', ')}`);
    const src = (which.length === 1 && process.argv[3]) || target.src;
    if (!existsSync(src)) {
      console.log(`skipped ${key}: ${src} not found (pass its path as the second argument)`);
      continue;
    }
    const out = fileURLToPath(new URL(`./${target.out}`, import.meta.url));
    const model = deriveModel(JSON.parse(readFileSync(src, 'utf8')) as Json, { label: target.label, operations: target.operations });
    writeFileSync(out, JSON.stringify(model, null, 1) + '\n');
    console.log(`wrote ${out}`);
  }
}
