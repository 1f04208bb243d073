/** Strict base64 (RFC 4648 §4, padded), pure TypeScript: device code has no Buffer. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const INDEX = new Map([...ALPHABET].map((c, i) => [c, i]));

export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] as number;
    const b = i + 1 < bytes.length ? (bytes[i + 1] as number) : 0;
    const c = i + 2 < bytes.length ? (bytes[i + 2] as number) : 0;
    const n = (a << 16) | (b << 8) | c;
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63]! : '=';
    out += i + 2 < bytes.length ? ALPHABET[n & 63]! : '=';
  }
  return out;
}

/** Decodes padded base64; undefined for anything else (bad length, characters, padding or non-zero pad bits). */
export function fromBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const q = [0, 1, 2, 3].map((k) => {
      const ch = text[i + k] as string;
      if (ch === '=' && last && k >= 4 - pad) return 0;
      const v = INDEX.get(ch);
      return v === undefined ? -1 : v;
    });
    if (q.some((v) => v < 0)) return undefined;
    const n = ((q[0] as number) << 18) | ((q[1] as number) << 12) | ((q[2] as number) << 6) | (q[3] as number);
    out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
    if (last && pad > 0 && (pad === 2 ? n & 0xffff : n & 0xff) !== 0) return undefined;
  }
  return out;
}
