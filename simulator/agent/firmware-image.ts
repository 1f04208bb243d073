/**
 * The simulated firmware image: a 16-byte header (`SIMFW1\0\0`, version major, minor, build
 * big-endian u16, 4 reserved bytes) followed by the body. The simulated boot loader reads the
 * version from it, like a real image header carries its version.
 */
const MAGIC = [0x53, 0x49, 0x4d, 0x46, 0x57, 0x31, 0x00, 0x00];
export const HEADER_SIZE = 16;

export interface AppVersion {
  major: number;
  minor: number;
  build: number;
}

/** FreeRTOS `AppVersion32_t`: major << 24 | minor << 16 | build. */
export function version32(v: AppVersion): number {
  return ((v.major & 0xff) << 24) | ((v.minor & 0xff) << 16) | (v.build & 0xffff);
}
export function fromVersion32(n: number): AppVersion {
  return { major: (n >>> 24) & 0xff, minor: (n >>> 16) & 0xff, build: n & 0xffff };
}

export function buildImage(version: AppVersion, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + body.length);
  out.set(MAGIC, 0);
  out[8] = version.major;
  out[9] = version.minor;
  out[10] = version.build >> 8;
  out[11] = version.build & 0xff;
  out.set(body, HEADER_SIZE);
  return out;
}

/** The version in an image header, or undefined when the bytes are not a simulated image. */
export function imageVersion(image: Uint8Array): AppVersion | undefined {
  if (image.length < HEADER_SIZE || MAGIC.some((b, i) => image[i] !== b)) return undefined;
  return { major: image[8] as number, minor: image[9] as number, build: ((image[10] as number) << 8) | (image[11] as number) };
}
