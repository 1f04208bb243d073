/** Record ↔ JSON text for storage columns: Dates survive the round trip (by key name). */
const DATE_KEYS = new Set([
  'createdAt', 'updatedAt', 'completedAt', 'signatureExpiresAt', 'revokedAt', 'revocationEffectiveFrom', 'eventTime',
]);

export function encodeRecord(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? { $b64: Buffer.from(v).toString('base64') } : v));
}

export function decodeRecord<T>(text: string): T {
  return JSON.parse(text, (k, v: unknown) => {
    if (typeof v === 'string' && DATE_KEYS.has(k)) return new Date(v);
    if (v && typeof v === 'object' && '$b64' in v && typeof (v as { $b64: unknown }).$b64 === 'string') {
      return new Uint8Array(Buffer.from((v as { $b64: string }).$b64, 'base64'));
    }
    return v;
  }) as T;
}
