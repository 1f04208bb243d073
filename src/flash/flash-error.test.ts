import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FLASH_ERROR_CODES, FlashError, isRetryable } from './flash-error.js';

describe('FlashError', () => {
  it('docs/serial.md lists exactly the FlashError codes, both ways', () => {
    const doc = readFileSync(new URL('../../docs/serial.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('### Error codes'), doc.indexOf('## Options'));
    const documented = [...section.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
    expect([...documented].sort()).toEqual([...FLASH_ERROR_CODES].sort());
  });

  it('only timeouts and checksum errors are retried; JSON keeps code, message and details', () => {
    expect(FLASH_ERROR_CODES.filter((c) => isRetryable(new FlashError(c, 'x')))).toEqual(['Timeout', 'Checksum']);
    expect(isRetryable(new Error('x'))).toBe(false);
    expect(JSON.parse(JSON.stringify(new FlashError('Nack', 'refused', { rc: 3 })))).toEqual({ code: 'Nack', message: 'refused', details: { rc: 3 } });
  });
});
