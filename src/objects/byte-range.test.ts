import { describe, expect, it } from 'vitest';
import { parseRangeHeader, resolveRange } from './byte-range.js';
import { ObjectsError } from './objects-error.js';

describe('byte ranges [RFC 9110 §14.1.2]', () => {
  it('parses the single-range forms S3 supports', () => {
    expect(parseRangeHeader('bytes=0-99')).toEqual({ start: 0, end: 99 });
    expect(parseRangeHeader('bytes=100-')).toEqual({ start: 100 });
    expect(parseRangeHeader('bytes=-5')).toEqual({ suffixLength: 5 });
    expect(parseRangeHeader(' bytes = 1 - 2 ')).toEqual({ start: 1, end: 2 });
  });

  for (const bad of ['', 'bytes', 'bytes=', 'bytes=-', 'bytes=5-1', 'bytes=0-1,4-5', 'items=0-1', 'bytes=a-b', 'bytes=1.5-2']) {
    it(`ignores ${JSON.stringify(bad)} (serve the whole object)`, () => {
      expect(parseRangeHeader(bad)).toBeUndefined();
    });
  }

  it('resolves against the size, clipping the end', () => {
    expect(resolveRange({ start: 0, end: 99 }, 50)).toEqual({ start: 0, end: 49 });
    expect(resolveRange({ suffixLength: 500 }, 50)).toEqual({ start: 0, end: 49 });
    expect(resolveRange({ start: 49 }, 50)).toEqual({ start: 49, end: 49 });
  });

  const unsatisfiable: Array<[Parameters<typeof resolveRange>[0], number]> = [
    [{ start: 50 }, 50],
    [{ start: 0 }, 0],
    [{ suffixLength: 0 }, 50],
    [{ suffixLength: 3 }, 0],
  ];
  for (const [range, size] of unsatisfiable) {
    it(`${JSON.stringify(range)} of ${size} bytes is InvalidRange`, () => {
      expect(() => resolveRange(range, size)).toThrow(ObjectsError);
      try {
        resolveRange(range, size);
      } catch (e) {
        expect((e as ObjectsError).code).toBe('InvalidRange');
        expect((e as ObjectsError).details.size).toBe(size);
      }
    });
  }

  it('rejects nonsense ranges from callers as InvalidArgument', () => {
    for (const r of [{ start: -1 }, { start: 5, end: 4 }, { start: 1.5 }, { suffixLength: -2 }]) {
      expect(() => resolveRange(r, 10)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }) as Error);
    }
  });
});
