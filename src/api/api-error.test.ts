import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorRegistry } from './api-error.js';
import { loadSignerModel } from './model.js';
import type { SignerErrorCode } from '../signer/index.js';

const model = loadSignerModel();
const registry = new ErrorRegistry(model);

describe('error registry', () => {
  it('docs/errors.md lists exactly the registry, with the same statuses', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| (\w+) \| (\d{3}) \|$/gm)].map((m) => [m[1]!, Number(m[2])] as [string, number]);
    expect(rows.sort()).toEqual(registry.entries());
  });
  it('every modeled error shape has its model status', () => {
    for (const [name, shape] of Object.entries(model.shapes)) {
      if (shape.exception) expect(registry.create(name, 'x').status).toBe(shape.error?.httpStatusCode);
    }
  });
  it('every domain error code is a modeled error type', () => {
    const codes: Record<SignerErrorCode, true> = {
      ValidationException: true, ResourceNotFoundException: true, AccessDeniedException: true, ConflictException: true,
      ServiceLimitExceededException: true, TooManyRequestsException: true, BadRequestException: true, NotFoundException: true,
      InternalServiceErrorException: true,
    };
    for (const code of Object.keys(codes)) expect(model.shapes[code]?.exception).toBe(true);
  });
  it('an unknown type is a programming error, not a response', () => {
    expect(() => registry.create('NoSuchException', 'x')).toThrow(/not in the registry/);
  });
});
