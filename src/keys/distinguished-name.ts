/**
 * Distinguished names as text ("CN=Firmware signer, O=Example, C=US") ↔ X.509 Name.
 * Small on purpose: the attribute types certificates for code signing use.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { KeysError } from './errors.js';

/** Attribute short names and OIDs. [RFC 4519, RFC 5280 Appendix A] */
const ATTRIBUTES: readonly [string, string][] = [
  ['CN', '2.5.4.3'],
  ['SERIALNUMBER', '2.5.4.5'],
  ['C', '2.5.4.6'],
  ['L', '2.5.4.7'],
  ['ST', '2.5.4.8'],
  ['STREET', '2.5.4.9'],
  ['O', '2.5.4.10'],
  ['OU', '2.5.4.11'],
  ['DC', '0.9.2342.19200300.100.1.25'],
  ['E', '1.2.840.113549.1.9.1'],
];
const BY_NAME = new Map(ATTRIBUTES.map(([n, o]) => [n, o]));
BY_NAME.set('EMAILADDRESS', '1.2.840.113549.1.9.1');
const BY_OID = new Map(ATTRIBUTES.map(([n, o]) => [o, n]));

/** Splits on unescaped commas. */
function splitRdns(dn: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < dn.length; i++) {
    const ch = dn[i] as string;
    if (ch === '\\' && i + 1 < dn.length) {
      cur += dn[i + 1];
      i++;
    } else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Parses DN text into DER Name (RDNs in the order written). */
export function dnToDer(dn: string): Uint8Array {
  if (typeof dn !== 'string' || dn.trim() === '') throw new KeysError('VALIDATION', 'subject must be a distinguished name such as "CN=Example, O=Org"');
  const rdns = splitRdns(dn).map((part) => {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim().toUpperCase();
    const value = part.slice(eq + 1).trim();
    const oid = BY_NAME.get(key) ?? (/^\d+(\.\d+)+$/.test(key) ? key : undefined);
    if (eq <= 0 || !oid || value === '' || value.length > 256) {
      throw new KeysError('VALIDATION', `subject part "${part.slice(0, 40)}" is not TYPE=value with a known type (${[...BY_NAME.keys()].join(', ')})`);
    }
    // C is a PrintableString of two letters; email an IA5String; the rest UTF8String. [RFC 5280 §4.1.2.4]
    const v = key === 'C'
      ? new AttributeValue({ printableString: value })
      : oid === '1.2.840.113549.1.9.1' ? new AttributeValue({ ia5String: value }) : new AttributeValue({ utf8String: value });
    return new RelativeDistinguishedName([new AttributeTypeAndValue({ type: oid, value: v })]);
  });
  return new Uint8Array(AsnConvert.serialize(new Name(rdns)));
}

function escape(v: string): string {
  return v.replace(/([,\\+"<>;])/g, '\\$1');
}

/** Formats a Name as "CN=…, O=…" in encoded order. */
export function formatName(name: Name): string {
  return name
    .map((rdn) => rdn.map((atv) => `${BY_OID.get(atv.type) ?? atv.type}=${escape(atv.value.toString())}`).join('+'))
    .join(', ');
}
