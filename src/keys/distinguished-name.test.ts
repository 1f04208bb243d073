import { AsnConvert } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { dnToDer, formatName } from './distinguished-name.js';
import { isKeysError } from './errors.js';

describe('distinguished names', () => {
  it('round-trips text → DER → text, with escaped commas and a PrintableString country', () => {
    const der = dnToDer('CN=Firmware\\, signer, O=Example Corp, OU=IoT, C=US, E=ops@example.com');
    const name = AsnConvert.parse(der, Name);
    expect(formatName(name)).toBe('CN=Firmware\\, signer, O=Example Corp, OU=IoT, C=US, E=ops@example.com');
    expect(name[3]![0]!.value.printableString).toBe('US');
  });

  it('accepts dotted OIDs as attribute types', () => {
    expect(formatName(AsnConvert.parse(dnToDer('2.5.4.3=x'), Name))).toBe('CN=x');
  });

  it.each([[''], ['   '], ['CN'], ['=x'], ['XX=1'], ['CN='], [`CN=${'a'.repeat(257)}`], [42 as unknown as string]])('rejects %s with VALIDATION', (dn) => {
    let err: unknown;
    try {
      dnToDer(dn);
    } catch (e) {
      err = e;
    }
    expect(isKeysError(err, 'VALIDATION')).toBe(true);
  });
});
