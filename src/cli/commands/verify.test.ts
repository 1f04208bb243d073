/** `signer verify` over the saved vendor vectors (test/vectors/bootloaders): exit codes and output. */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../program.js';
import type { CliIo } from '../io.js';

/** `signer verify …` through the whole command line (commander), with files and output captured. */
const runVerify = (argv: string[], io: Pick<CliIo, 'stdout' | 'stderr' | 'readFile'>) => runCli(['verify', ...argv], io);

const V = fileURLToPath(new URL('../../../test/vectors/bootloaders/', import.meta.url));
const OTA = fileURLToPath(new URL('../../../test/vectors/ota/', import.meta.url));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runVerify(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s), readFile: async (p) => new Uint8Array(await readFile(p)) });
  return { code, out, err };
}

describe('signer verify', () => {
  it('[MCUboot] accepts an imgtool image with its (private-key PEM) key: exit 0 and the digest', async () => {
    const r = await cli('--format', 'mcuboot', '--key', `${V}mcuboot/keys/root-ec-p256.pem`, `${V}mcuboot/images/ecdsa-p256.signed.bin`);
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toMatch(/^OK mcuboot digest=fb05b448.* version=1\.2\.3\+4\n$/);
  });

  it('[MCUboot] rejects a body bit flip: exit 1 with HashMismatch', async () => {
    const r = await cli('--format', 'mcuboot', '--key', `${V}mcuboot/keys/root-ec-p256.pem`, `${V}mcuboot/images/neg-ecdsa-p256-body-bitflip.bin`);
    expect(r).toMatchObject({ code: 1, out: 'FAIL HashMismatch: image hash\n' });
  });

  it('[MCUboot] security counter, downgrade, slot size and hash options reach the verifier', async () => {
    const img = `${V}mcuboot/images/ecdsa-p256-seccnt5-hdr200.signed.bin`;
    const key = `${V}mcuboot/keys/root-ec-p256.pem`;
    expect((await cli('--format', 'mcuboot', '--key', key, '--security-counter', '5', img)).out).toMatch(/security-counter=5/);
    expect((await cli('--format', 'mcuboot', '--key', key, '--security-counter', '6', img)).out).toMatch(/^FAIL Rollback/);
    expect((await cli('--format', 'mcuboot', '--key', key, '--min-version', '2.0.1', img)).out).toMatch(/^FAIL Downgrade/);
    expect((await cli('--format', 'mcuboot', '--key', key, '--min-version', '2.0.0+1', img)).out).toMatch(/^FAIL Downgrade/);
    expect((await cli('--format', 'mcuboot', '--key', key, '--slot-size', '0x1000', img)).out).toMatch(/^FAIL Oversize/);
    expect((await cli('--format', 'mcuboot', '--key', `${V}mcuboot/keys/root-ec-p384.pem`, '--hash', 'sha384', `${V}mcuboot/images/ecdsa-p384.signed.bin`)).code).toBe(0);
  });

  it('[ESP32] accepts with the key or the eFuse digest, honours revoked slots and secure_version', async () => {
    const img = `${V}esp32-sbv2/generated/payload-4096.sbv2-ecdsa256.bin`;
    const key = `${V}esp32-sbv2/esptool-fixtures/ecdsa256_secure_boot_signing_pubkey.pem`;
    const r = await cli('--format', 'esp32-sbv2', '--key', key, img);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/block=0/);
    const digest = 'f35cc5dbdde67f94a7bbcb5723371ba91822193582308f84cb95b4531219056d';
    expect((await cli('--format', 'esp32-sbv2', '--efuse-digest', digest, img)).code).toBe(0);
    expect((await cli('--format', 'esp32-sbv2', '--efuse-digest', digest, '--revoked-slot', '0', img)).out).toMatch(/^FAIL Revoked/);
    expect((await cli('--format', 'esp32-sbv2', '--efuse-digest', digest, '--secure-version', '1', img)).out).toMatch(/^FAIL BadMagic: esp_app_desc_t/);
    expect((await cli('--format', 'esp32-sbv2', '--efuse-digest', digest, '--max-size', '4096', img)).code).toBe(2);
  });

  it('[FreeRTOS] job-document signature (base64 or file), PAL and strict modes, JSON output', async () => {
    const vectors = JSON.parse(readFileSync(`${V}freertos-ota/vectors.json`, 'utf8'));
    const msg = `${OTA}../bootloaders/freertos-ota/message.bin`;
    const io = new Map<string, Uint8Array>([[msg, Buffer.from(vectors.message.hex, 'hex')], ['sig.bin', Buffer.from(vectors.vectors[0].signature_hex, 'hex')]]);
    const run = async (...argv: string[]) => {
      let out = '';
      const code = await runVerify(argv, {
        stdout: (s) => (out += s),
        stderr: () => undefined,
        readFile: async (p) => io.get(p) ?? new Uint8Array(await readFile(p)),
      });
      return { code, out };
    };
    const cert = `${V}freertos-ota/certs/ecdsa-sha256-signer.crt.pem`;
    expect((await run('--format', 'freertos', '--cert', cert, '--signature-base64', vectors.vectors[0].signature_base64, msg)).code).toBe(0);
    expect((await run('--format', 'freertos', '--cert', cert, '--signature', 'sig.bin', '--signature-method', 'sig-sha256-ecdsa', msg)).code).toBe(0);
    expect((await run('--format', 'freertos', '--key', cert, '--signature', 'sig.bin', msg)).code).toBe(0);
    const strict = await run('--format', 'freertos', '--cert', cert, '--root', cert, '--strict', '--signature', 'sig.bin', '--json', msg);
    expect(JSON.parse(strict.out)).toMatchObject({ ok: false, reason: 'Expired' });
    expect((await run('--format', 'freertos', '--cert', cert, '--root', cert, '--strict', '--at', '2019-01-01', '--signer-cert', cert, '--signature', 'sig.bin', msg)).code).toBe(0);
    const rsa = vectors.vectors.find((v: { job_doc_sig_key: string }) => v.job_doc_sig_key === 'sig-sha1-rsa');
    const cc = await run('--format', 'cc3220sf', '--cert', `${V}freertos-ota/${rsa.cert}`, '--root', `${V}freertos-ota/certs/rsa-sha1-root-ca-cert.pem`, '--intermediate', `${V}freertos-ota/certs/rsa-sha1-root-ca-cert.pem`, '--signature-base64', rsa.signature_base64, '--max-size', '1000', msg);
    expect(cc.out).toMatch(/^OK cc3220sf .* certificate=/);
  });

  it('[Notation] verifies an artifact against its JWS envelope and the trusted root', async () => {
    const { generateKeyPairSync, createHash, sign } = await import('node:crypto');
    const { issueTestChain } = await import('../../../test/support/local-signing-key.js');
    const leaf = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    const chain = issueTestChain(leaf);
    const artifact = new TextEncoder().encode('{"schemaVersion":2}');
    const header = {
      alg: 'ES384',
      cty: 'application/vnd.cncf.notary.payload.v1+json',
      'io.cncf.notary.signingScheme': 'notary.x509.signingAuthority',
      'io.cncf.notary.authenticSigningTime': `${new Date(Date.now() + 2000).toISOString().slice(0, 19)}Z`,
      'com.amazonaws.signer.signingProfileVersion': 'arn:p',
      crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.authenticSigningTime'],
    };
    const prot = Buffer.from(JSON.stringify(header)).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ targetArtifact: { mediaType: 'm', digest: `sha256:${createHash('sha256').update(artifact).digest('hex')}`, size: artifact.length } })).toString('base64url');
    const signature = sign('sha384', Buffer.from(`${prot}.${payload}`), { key: leaf, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const files = new Map<string, Uint8Array>([
      ['artifact.json', artifact],
      ['sig.jws', new TextEncoder().encode(JSON.stringify({ payload, protected: prot, header: { x5c: chain.chain.map((c) => Buffer.from(c).toString('base64')) }, signature }))],
      ['root.pem', new TextEncoder().encode(chain.rootPem)],
    ]);
    const run = async (...argv: string[]) => {
      let out = '';
      const code = await runVerify(argv, { stdout: (s) => (out += s), stderr: () => undefined, readFile: async (p) => files.get(p) ?? new Uint8Array(await readFile(p)) });
      return { code, out };
    };
    expect(await run('--format', 'notation', '--root', 'root.pem', '--envelope', 'sig.jws', '--allowed-profile-version-arn', 'arn:p', '--at', '2030-01-01', '--max-size', '1000', 'artifact.json')).toMatchObject({ code: 0 });
    expect((await run('--format', 'notation', '--root', 'root.pem', '--envelope', 'sig.jws', '--allowed-profile-version-arn', 'arn:q', 'artifact.json')).out).toMatch(/^FAIL UntrustedSigner/);
    expect((await run('--format', 'notation', '--root', 'root.pem', 'artifact.json')).out).toMatch(/^FAIL MissingSignature/);
  });

  it('[Lambda] an unsigned zip is refused with MissingSignature; --allowed-profile-version-arn is accepted', async () => {
    const { zipSync, strToU8 } = await import('fflate');
    const files = new Map<string, Uint8Array>([['fn.zip', zipSync({ 'index.py': strToU8('x = 1\n') })], ['root.pem', await readFile(`${V}freertos-ota/certs/rsa-sha1-root-ca-cert.pem`)]]);
    let out = '';
    const code = await runVerify(['--format', 'lambda-zip', '--root', 'root.pem', '--allowed-profile-version-arn', 'arn:p', '--at', '2030-01-01', 'fn.zip'], {
      stdout: (s) => (out += s),
      stderr: () => undefined,
      readFile: async (p) => files.get(p) ?? new Uint8Array(await readFile(p)),
    });
    expect({ code, out }).toEqual({ code: 1, out: 'FAIL MissingSignature: package is not signed\n' });
  });

  it('[Oversize] names the limit that was hit and the option that raises it', async () => {
    const files = new Map<string, Uint8Array>([['big.bin', new Uint8Array(64 * 1024 * 1024 + 1)], ['small.bin', new Uint8Array(100)]]);
    const cert = `${V}freertos-ota/certs/ecdsa-sha256-signer.crt.pem`;
    const run = async (...argv: string[]) => {
      let out = '';
      const code = await runVerify(argv, { stdout: (s) => (out += s), stderr: () => undefined, readFile: async (p) => files.get(p) ?? new Uint8Array(await readFile(p)) });
      return { code, out };
    };
    const dflt = await run('--format', 'freertos', '--key', cert, '--signature-base64', 'AAAA', 'big.bin');
    expect(dflt.code).toBe(1);
    expect(dflt.out).toBe(
      'FAIL Oversize: file larger than the limit (the image is 67108865 bytes, over the default limit, 64 MiB (67108864 bytes); pass --max-size 67108865 or more to accept it)\n',
    );
    const set = await run('--format', 'freertos', '--key', cert, '--signature-base64', 'AAAA', '--max-size', '64', 'small.bin');
    expect(set.out).toMatch(/^FAIL Oversize: .*\(the image is 100 bytes, over the --max-size limit, 64 bytes; pass --max-size 100 or more to accept it\)$/m);
  });

  it('[usage] bad or missing arguments exit 2 with the usage text; --help exits 0', async () => {
    expect((await cli('--help')).code).toBe(0);
    for (const argv of [
      [],
      ['--format', 'uf2', 'x.bin'],
      ['--format', 'mcuboot'],
      ['--format', 'mcuboot', '--bogus', 'x'],
      ['--format', 'mcuboot', '--slot-size', 'ten', 'x.bin'],
      ['--format', 'mcuboot', '--min-version', '1.2', 'x.bin'],
      ['--format', 'mcuboot', '--hash', 'md5', 'x.bin'],
      ['--format', 'esp32-sbv2', '--efuse-digest', 'zz', 'x.bin'],
      ['--format', 'freertos', '--signature-base64', '***', 'x.bin'],
      ['--format', 'freertos', '--signature-method', 'sig-md5', 'x.bin'],
      ['--format', 'freertos', '--at', 'yesterday', 'x.bin'],
      ['--format', 'mcuboot', '--key', `${V}mcuboot/images/payload.bin`, 'x.bin'],
      ['--format', 'esp32-sbv2', '--revoked-slot', '7', 'x.bin'],
      ['--format', 'mcuboot', '--key', `${V}mcuboot/keys/root-ec-p256.pem`, '/nonexistent/image.bin'],
    ]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/^signer verify: /);
    }
  });

  it('[usage] unexpected errors are not swallowed', async () => {
    await expect(
      runVerify(['--format', 'mcuboot', 'x.bin'], {
        stdout: () => undefined,
        stderr: () => undefined,
        readFile: async () => {
          throw new Error('disk on fire');
        },
      }),
    ).rejects.toThrow('disk on fire');
  });
});
