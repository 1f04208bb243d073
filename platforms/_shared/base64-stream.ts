/**
 * Base64 (RFC 4648 §4, padded) of a byte stream, chunk by chunk, so a 2 GiB payload can be
 * embedded in a JSON document without ever being held in memory. Bytes that do not fill a
 * 3-byte group are carried over to the next chunk; only the final group is padded.
 */
export async function* base64Stream(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    const data: Buffer = carry.length > 0 ? Buffer.concat([carry, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const whole = data.length - (data.length % 3);
    if (whole > 0) yield Buffer.from(data.subarray(0, whole).toString('base64'), 'latin1');
    carry = Buffer.from(data.subarray(whole));
  }
  if (carry.length > 0) yield Buffer.from(carry.toString('base64'), 'latin1');
}
