/** docs/verifier.md lists exactly the ReasonCode union, both ways (house rule 19, fastify-style registry check). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REASON_CODES } from './index.js';

describe('docs/verifier.md', () => {
  it('[house-style 19] the reason-code table lists exactly REASON_CODES, in order', () => {
    const doc = readFileSync(new URL('../docs/verifier.md', import.meta.url), 'utf8');
    const section = doc.split('## Reason codes')[1]?.split('\n## ')[0] ?? '';
    const documented = [...section.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual([...REASON_CODES]);
  });

  it('[house-style 19] every code is documented once and no code is duplicated', () => {
    expect(new Set(REASON_CODES).size).toBe(REASON_CODES.length);
  });
});
