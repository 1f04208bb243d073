/**
 * bench/ota — a 1 MiB image through the OTA service (Jobs MQTT API + MQTT file stream, CBOR blocks
 * of 4 KiB, to a simulated FreeRTOS agent over mutual TLS through the embedded broker) ÷ a raw MQTT
 * transfer of the same bytes in 4 KiB messages over the same broker, in the same run. Target ≤ 2×.
 * Then 100 devices updating at once: wall time ÷ the one-device time.
 *
 * Timed: from the job's creation (notify-next to the device) until the agent has stored the last
 * block (the device's own signature check afterwards is not the service's cost and is left out).
 * The agent asks for `n` blocks per request; n = 1 is the FreeRTOS default.
 */
import { createSign, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connectAsync } from 'mqtt';
import { buildImage, realScheduler, SimulatedDevice, SimulatedFlash } from '../simulator/agent/index.js';
import { buildAfrOtaDocument } from '../simulator/ota-wire/index.js';
import { loadOrCreateLocalCa } from '../src/keys/index.js';
import { SecretBox } from '../src/accounts/index.js';

const TEST_SEALER = new SecretBox(new Uint8Array(32).fill(9), 'bench-ca-keys');
import { provisionDevice, putFirmware } from '../test/support/mqtt.js';
import { startTestServer } from '../test/support/server.js';
import { report } from './measure.js';

const SIZE = 1024 * 1024;
const DEVICES = Number(process.env.BENCH_OTA_DEVICES ?? 100);

const t = await startTestServer();
try {
  const ctx = t.server.iotContext;
  const image = buildImage({ major: 2, minor: 0, build: 0 }, randomBytes(SIZE - 16));
  const ca = await loadOrCreateLocalCa(`${t.dataDir}/bench-ca`, 'bench', 'Bench code signing', TEST_SEALER);
  const signer = await ca.issue({ subject: 'CN=bench signer', extendedKeyUsage: ['1.3.6.1.5.5.7.3.3'] });
  const signature = createSign('sha256').update(image).sign(signer.privateKeyPem);
  await putFirmware(t.server, 'bench-fw', 'fw.bin', image);
  await t.server.iot.streams.createStream(ctx, { streamId: 'AFR_OTA-bench', files: [{ fileId: 0, s3Location: { bucket: 'bench-fw', key: 'fw.bin' } }], roleArn: 'arn:aws:iam::123456789012:role/ota' });
  const document = JSON.stringify(buildAfrOtaDocument({ protocols: ['MQTT'], streamname: 'AFR_OTA-bench', file: { filepath: 'fw.bin', filesize: SIZE, fileid: 0, certfile: 'ota.crt', fileType: 0, signatureKey: 'sig-sha256-ecdsa', signature: signature.toString('base64') } }));
  const caPem = readFileSync(t.server.mqtt.caFile!, 'utf8');
  const scheduler = realScheduler();
  let jobs = 0;
  let requests = 0;
  let raws = 0;

  /** Connects `count` devices, creates one job for all, resolves with the wall time until every one has the whole file. */
  async function update(prefix: string, count: number, blocksPerRequest: number): Promise<number> {
    const devices: SimulatedDevice[] = [];
    const things: string[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const thing = `${prefix}-${i}`;
      things.push(thing);
      const id = await provisionDevice(t.server, thing);
      let done!: () => void;
      ready.push(new Promise<void>((r) => (done = r)));
      devices.push(
        await SimulatedDevice.connect({
          url: t.server.mqtt.tlsUrl!,
          tls: { ca: caPem, cert: id.cert, key: id.key },
          thingName: thing,
          flash: new SimulatedFlash({ image: buildImage({ major: 1, minor: 0, build: 0 }, new Uint8Array(0)), version: { major: 1, minor: 0, build: 0 } }),
          scheduler,
          codeSigningCertificates: { 'ota.crt': signer.certificatePem },
          blocksPerRequest,
          maxBlocks: 4096,
          onEvent: (e) => {
            if (process.env.PROBE && e.kind === 'state' && e.state === 'RequestingFileBlock') requests++;
            if (e.kind === 'progress' && e.received === e.total) done();
          },
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 200));
    const start = performance.now();
    await t.server.iot.jobs.createJob(ctx, { jobId: `bench-${++jobs}`, targets: things.map((th) => `arn:aws:iot:${ctx.region}:${ctx.accountId}:thing/${th}`), document });
    await Promise.all(ready);
    const ms = performance.now() - start;
    if (process.env.PROBE) console.log('requests', requests);
    requests = 0;
    for (const d of devices) await d.close();
    return ms;
  }

  /** The same bytes as 4 KiB messages from a local publisher to a device subscriber, same broker. */
  async function raw(): Promise<number> {
    const id = await provisionDevice(t.server, `raw-sub-${++raws}`);
    const sub = await connectAsync(t.server.mqtt.tlsUrl!, { clientId: `raw-sub-${raws}`, ca: caPem, cert: id.cert, key: id.key, reconnectPeriod: 0 });
    const pub = await connectAsync(t.server.mqtt.plainUrl!, { clientId: 'raw-pub', reconnectPeriod: 0 });
    const topic = `$aws/things/raw-sub-${raws}/raw`;
    await sub.subscribeAsync(topic, { qos: 0 });
    const blocks = SIZE / 4096;
    let got = 0;
    const all = new Promise<void>((r) => sub.on('message', () => ++got === blocks && r()));
    const start = performance.now();
    for (let i = 0; i < blocks; i++) pub.publish(topic, Buffer.from(image.buffer, image.byteOffset + i * 4096, 4096), { qos: 0 });
    await all;
    const ms = performance.now() - start;
    await sub.endAsync();
    await pub.endAsync();
    return ms;
  }

  // Warm up the paths once (TLS, caches, JIT).
  await raw();
  await update('warm', 1, 8);

  // The machine is shared: each figure is the median of RUNS samples, raw and service runs interleaved
  // so that a busy moment hits both sides of the ratio alike.
  const RUNS = Number(process.env.BENCH_OTA_RUNS ?? 5);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const samples = { raw: [] as number[], n1: [] as number[], n8: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    samples.raw.push(await raw());
    samples.n8.push(await update(`one-n8-${i}`, 1, 8));
    samples.n1.push(await update(`one-n1-${i}`, 1, 1));
  }
  const rawMs = median(samples.raw);
  const one1 = median(samples.n1);
  const one8 = median(samples.n8);
  const spread = (xs: number[]) => `${Math.round(Math.min(...xs))}-${Math.round(Math.max(...xs))}`;
  report(`bench/ota raw MQTT 1 MiB in 4 KiB messages (same broker, TLS subscriber), median of ${RUNS}`, { ms: Math.round(rawMs), range: spread(samples.raw), MiBps: SIZE / 1048576 / (rawMs / 1000) });
  report('bench/ota one device, n=1 block per request (FreeRTOS default)', { ms: Math.round(one1), range: spread(samples.n1), ratioToRaw: one1 / rawMs });
  report('bench/ota one device, n=8 blocks per request', { ms: Math.round(one8), range: spread(samples.n8), ratioToRaw: one8 / rawMs });
  const many = await update('many', DEVICES, 8);
  report(`bench/ota ${DEVICES} devices at once, n=8`, { ms: Math.round(many), ratioToOneDevice: many / one8 });
} finally {
  await t.stop();
}

