import { randomInt, randomUUID } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A profile version: 10 random alphanumerics, like `Hjr4mjO9JM`. */
export function newProfileVersion(): string {
  let s = '';
  for (let i = 0; i < 10; i++) s += ALNUM[randomInt(ALNUM.length)];
  return s;
}

/** A signing job id (a UUID, as AWS uses). */
export function newJobId(): string {
  return randomUUID();
}

/** An opaque policy revision id. */
export function newRevisionId(): string {
  return randomUUID();
}
