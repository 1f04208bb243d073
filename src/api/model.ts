import { readFileSync } from 'node:fs';

/** How a member travels on the wire (absent = JSON body). */
export type Location = 'uri' | 'querystring' | 'header' | 'headers';

export interface MemberRef {
  shape: string;
  location?: Location;
  locationName?: string;
  idempotencyToken?: boolean;
}

export interface Shape {
  type: 'structure' | 'string' | 'integer' | 'long' | 'boolean' | 'timestamp' | 'blob' | 'list' | 'map' | 'double' | 'float';
  required?: string[];
  members?: Record<string, MemberRef>;
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  error?: { httpStatusCode: number };
  exception?: boolean;
}

export interface Operation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: string;
  output?: string;
  errors: string[];
  endpoint?: { hostPrefix: string };
}

export interface ServiceModel {
  metadata: { apiVersion: string; signingName: string; endpointPrefix: string; serviceId: string };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

/**
 * Enums the live service does not keep closed (it returns category "AWS" and hash "SHA384",
 * and our extra platforms use more formats/algorithms); inputs are checked against the
 * platform's allowed values instead of these lists.
 */
export const OPEN_ENUMS: ReadonlySet<string> = new Set(['Category', 'HashAlgorithm', 'ImageFormat', 'EncryptionAlgorithm']);

/** Loads a derived model (see `model/derive.ts`): `signer`, `iot` or `iot-jobs-data`. */
export function loadModel(name: 'signer' | 'iot' | 'iot-jobs-data'): ServiceModel {
  const raw = JSON.parse(readFileSync(new URL(`./model/${name}-model.json`, import.meta.url), 'utf8')) as ServiceModel;
  for (const [op, def] of Object.entries(raw.operations)) def.name = op;
  return raw;
}

/** Loads the derived Signer model. */
export function loadSignerModel(): ServiceModel {
  return loadModel('signer');
}
