import { IotError } from './iot-error.js';
import type { Paged, PageRequest } from './iot.types.js';

/**
 * Offset page tokens: base64url of `{o}`. Opaque to clients; a token that does not decode is
 * an InvalidRequestException, like AWS answers a token from elsewhere.
 */
export function pageWindow(req: PageRequest, defaultMax = 50, hardMax = 250): { offset: number; limit: number } {
  let offset = 0;
  if (req.nextToken !== undefined) {
    try {
      const v = JSON.parse(Buffer.from(req.nextToken, 'base64url').toString('utf8')) as { o?: unknown };
      if (typeof v.o !== 'number' || !Number.isInteger(v.o) || v.o < 0) throw new Error('bad');
      offset = v.o;
    } catch {
      throw new IotError('InvalidRequestException', 'The nextToken is not valid.');
    }
  }
  const max = req.maxResults ?? defaultMax;
  if (!Number.isInteger(max) || max < 1 || max > hardMax) throw new IotError('InvalidRequestException', `maxResults must be between 1 and ${hardMax}.`);
  return { offset, limit: max };
}

/** Runs a query that fetched `limit + 1` rows and turns it into a page. */
export function toPage<T>(rows: T[], offset: number, limit: number): Paged<T> {
  if (rows.length > limit) return { items: rows.slice(0, limit), nextToken: Buffer.from(JSON.stringify({ o: offset + limit })).toString('base64url') };
  return { items: rows };
}
