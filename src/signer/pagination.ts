import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignerError } from './signer-error.js';

/**
 * Opaque, tamper-proof `nextToken`s: the listing's resume key and a fingerprint of the
 * request's filters, MAC'd with a server key. A token edited by hand, or reused with other
 * filters or by another account, is a ValidationException — not a silently wrong page.
 */
export class PageTokens {
  constructor(private readonly key: Uint8Array) {}

  seal(scope: string, resumeKey: string): string {
    const body = Buffer.from(JSON.stringify({ k: resumeKey })).toString('base64url');
    return `${body}.${this.mac(scope, body)}`;
  }

  open(scope: string, token: string | undefined): string | undefined {
    if (token === undefined) return undefined;
    const dot = token.indexOf('.');
    const body = token.slice(0, dot);
    const mac = token.slice(dot + 1);
    // Compare bytes, not characters: a non-ASCII token has more bytes than characters.
    const given = Buffer.from(mac);
    const expected = Buffer.from(this.mac(scope, body));
    if (dot <= 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new SignerError('ValidationException', 'The nextToken is invalid or does not belong to this request.');
    }
    const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { k: string };
    return parsed.k;
  }

  private mac(scope: string, body: string): string {
    return createHmac('sha256', this.key).update(scope).update('\0').update(body).digest('base64url').slice(0, 32);
  }
}
