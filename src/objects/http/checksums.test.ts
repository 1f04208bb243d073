import { describe, expect, it } from 'vitest';
import { CHECKSUM_HEADERS, type ChecksumHeader } from './checksums.js';

// Check values for the ASCII string "123456789" from the CRC catalogue
// (CRC-32/ISO-HDLC cbf43926, CRC-32/ISCSI e3069283, CRC-64/NVME ae8b14860a799888).
const CHECK = Buffer.from('123456789');
const hexToB64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

describe('checksums', () => {
  const cases: Array<[ChecksumHeader, string]> = [
    ['x-amz-checksum-crc32', hexToB64('cbf43926')],
    ['x-amz-checksum-crc32c', hexToB64('e3069283')],
    ['x-amz-checksum-crc64nvme', hexToB64('ae8b14860a799888')],
    ['x-amz-checksum-sha1', hexToB64('f7c3bc1d808e04732adf679965ccc34ca7ae3441')],
    ['x-amz-checksum-sha256', hexToB64('15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225')],
  ];
  for (const [name, expected] of cases) {
    it(`[${name}] check value of "123456789", whole and split at every offset`, () => {
      const whole = CHECKSUM_HEADERS[name]();
      whole.update(CHECK);
      expect(whole.digest()).toBe(expected);
      for (let cut = 0; cut <= CHECK.length; cut++) {
        const c = CHECKSUM_HEADERS[name]();
        c.update(CHECK.subarray(0, cut));
        c.update(CHECK.subarray(cut));
        expect(c.digest()).toBe(expected);
      }
    });
  }
  it('empty input gives the algorithms\' empty digests', () => {
    expect(CHECKSUM_HEADERS['x-amz-checksum-crc32']().digest()).toBe('AAAAAA==');
    expect(CHECKSUM_HEADERS['x-amz-checksum-crc64nvme']().digest()).toBe('AAAAAAAAAAA=');
  });
});
