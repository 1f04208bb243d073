/**
 * The OTA data plane on one MQTT transport: routes device requests to the Jobs API and the
 * stream server (one request at a time per thing, in arrival order), turns domain events into
 * notifications, and ticks the jobs clock (timeouts, rollout). A request that cannot be parsed
 * as a topic is ignored; nothing a device sends can throw out of here.
 */
import { parseRequestTopic } from '../../simulator/ota-wire/index.js';
import type { IotContext, IotServices } from '../iot/index.js';
import type { Logger } from '../log/index.js';
import { JobsMqttApi } from './jobs-mqtt.js';
import { StreamsMqttApi } from './streams-mqtt.js';
import type { MqttTransport } from './transport.js';

/** Every request topic the service answers. */
export const REQUEST_FILTERS = Object.freeze([
  '$aws/things/+/jobs/get',
  '$aws/things/+/jobs/start-next',
  '$aws/things/+/jobs/+/get',
  '$aws/things/+/jobs/+/update',
  '$aws/things/+/streams/+/get/+',
  '$aws/things/+/streams/+/describe/+',
]);

export interface OtaService {
  /** Resolves when every request received so far has been answered (tests, shutdown). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export async function startOtaService(opts: {
  ctx: IotContext;
  iot: IotServices;
  transport: MqttTransport;
  logger: Logger;
  now?: () => Date;
  /** How often timeouts and rollouts are applied (ms); 0 turns the timer off (tests call iot.tick). */
  tickMs?: number;
}): Promise<OtaService> {
  const now = opts.now ?? (() => new Date());
  const jobs = new JobsMqttApi({ ctx: opts.ctx, jobs: opts.iot.jobsData, transport: opts.transport, logger: opts.logger, now });
  const streams = new StreamsMqttApi({ ctx: opts.ctx, streams: opts.iot.streams, transport: opts.transport, logger: opts.logger });
  const queues = new Map<string, Promise<void>>();
  const inflight = new Set<Promise<void>>();

  const track = (p: Promise<void>) => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };

  opts.transport.onMessage((topic, payload) => {
    const req = parseRequestTopic(topic);
    if (!req) return;
    const prev = queues.get(req.thing) ?? Promise.resolve();
    const run = prev.then(() => (req.api === 'jobs' ? jobs.handle({ thing: req.thing, op: req.op, ...('jobId' in req ? { jobId: req.jobId } : {}) }, payload, topic) : streams.handle(req, payload)));
    const done = run.catch((e: unknown) => opts.logger.error('ota: request failed', { error: String(e) }));
    queues.set(req.thing, done);
    void done.finally(() => {
      if (queues.get(req.thing) === done) queues.delete(req.thing);
    });
    track(done);
  });
  const unsubscribe = opts.iot.events.subscribe((e) => {
    track(jobs.onEvent(e).catch((err: unknown) => opts.logger.warn('ota: notification not published', { error: String(err) })));
  });
  await opts.transport.start(REQUEST_FILTERS);

  const tickMs = opts.tickMs ?? 10_000;
  const timer = tickMs > 0 ? setInterval(() => track(opts.iot.tick(now()).catch((e: unknown) => opts.logger.error('ota: tick failed', { error: String(e) }))), tickMs) : undefined;
  timer?.unref();

  const idle = async () => {
    while (inflight.size > 0) await Promise.allSettled([...inflight]);
  };
  return {
    idle,
    async close() {
      if (timer) clearInterval(timer);
      unsubscribe();
      await idle();
      await opts.transport.close();
    },
  };
}
