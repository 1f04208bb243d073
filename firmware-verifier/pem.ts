/**
 * Accepts DER bytes or a PEM string and returns the DER of the first block with one of `labels`.
 * Throws TypeError for anything else (trust material is configuration, not attacker input).
 */
export function derFromPemOrDer(input: Uint8Array | string, labels: readonly string[]): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input !== 'string') throw new TypeError('expected DER bytes or a PEM string');
  const match = /-----BEGIN ([A-Z0-9 ]+)-----([^-]+)-----END \1-----/.exec(input);
  if (match === null || !labels.includes(match[1] as string)) {
    throw new TypeError(`expected a PEM block labelled ${labels.join(' or ')}`);
  }
  const b64 = (match[2] as string).replace(/\s+/g, '');
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
