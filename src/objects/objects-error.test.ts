import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isObjectsError, isObjectsErrorCode, OBJECTS_ERRORS, ObjectsError } from './objects-error.js';

describe('ObjectsError registry', () => {
  it('docs/objects.md lists exactly the registry codes with their statuses', () => {
    const doc = readFileSync(new URL('../../docs/objects.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Errors'), doc.indexOf('## Backend A'));
    const documented = new Map([...section.matchAll(/^\| `(\w+)` \| (\d{3}) \|$/gm)].map((m) => [m[1], Number(m[2])]));
    const registry = new Map(Object.entries(OBJECTS_ERRORS).map(([code, spec]) => [code, spec.status]));
    expect(documented).toEqual(registry);
  });

  it('carries code, status and details; unknown codes are not codes', () => {
    const e = new ObjectsError('NoSuchKey', undefined, { details: { deleteMarker: true } });
    expect([e.code, e.status, e.details.deleteMarker, e.message]).toEqual(['NoSuchKey', 404, true, OBJECTS_ERRORS.NoSuchKey.message]);
    expect(isObjectsError(e, 'NoSuchKey')).toBe(true);
    expect(isObjectsError(e, 'NoSuchBucket')).toBe(false);
    expect(isObjectsErrorCode('toString')).toBe(false);
    expect(isObjectsErrorCode('NoSuchUpload')).toBe(true);
  });
});
