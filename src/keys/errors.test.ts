import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KEYS_ERRORS, KeysError, type KeysErrorCode } from './errors.js';

const docs = readFileSync(fileURLToPath(new URL('../../docs/keys.md', import.meta.url)), 'utf8');
// Exception shapes of the ACM model (from @aws-sdk/client-acm) plus the 500 shape.
const ACM_SHAPES = ['InvalidArnException', 'ResourceNotFoundException', 'ValidationException', 'InvalidParameterException', 'InvalidArgsException',
  'InvalidTagException', 'TooManyTagsException', 'LimitExceededException', 'ResourceInUseException', 'InternalServerException'];

describe('KEYS_ERRORS registry', () => {
  it('matches the table in docs/keys.md both ways (code, awsType, status, meaning)', () => {
    const rows = [...docs.matchAll(/^\| `([A-Z_]+)` \| (\w+) \| (\d{3}) \| (.+) \|$/gm)].map((m) => ({ code: m[1]!, awsType: m[2]!, status: Number(m[3]), description: m[4]! }));
    expect(rows.map((r) => r.code).sort()).toEqual(Object.keys(KEYS_ERRORS).sort());
    for (const r of rows) {
      const info = KEYS_ERRORS[r.code as KeysErrorCode];
      expect({ awsType: info.awsType, status: info.httpStatus, description: info.description }).toEqual({ awsType: r.awsType, status: r.status, description: r.description });
    }
  });

  it('uses only ACM exception shapes; client errors are 400, server faults 500', () => {
    for (const info of Object.values(KEYS_ERRORS)) {
      expect(ACM_SHAPES).toContain(info.awsType);
      expect(info.httpStatus).toBe(info.awsType === 'InternalServerException' ? 500 : 400);
    }
  });

  it('KeysError carries code, awsType and httpStatus from the registry', () => {
    const e = new KeysError('CERT_EKU', 'x');
    expect([e.name, e.code, e.awsType, e.httpStatus]).toEqual(['KeysError', 'CERT_EKU', 'ValidationException', 400]);
    expect(e).toBeInstanceOf(Error);
  });
});
