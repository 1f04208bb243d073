import { createHmac } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Logger } from '../log/index.js';
import type { JobStatusEvent } from './job-status-event.js';

/** Where job status events go. `publish` never throws: delivery problems are the sink's to retry and log. */
export interface EventSink {
  publish(event: JobStatusEvent): void;
  /** Waits for deliveries in flight (tests, shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The header a webhook receiver checks: `sha256=<hex HMAC-SHA256(secret, body)>`. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-signer-signature';

export function webhookSignature(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * POSTs each event as JSON to a URL, signed with an HMAC header, retrying with exponential backoff
 * (`retries` more attempts after the first, delays base·2^n) on network errors and 5xx/429 answers.
 * Events of one job arrive in the order they happened.
 */
export class WebhookSink implements EventSink {
  private readonly inFlight = new Set<Promise<void>>();
  constructor(
    private readonly opts: { url: string; secret: string; retries: number; baseDelayMs: number; timeoutMs: number },
    private readonly logger: Logger,
  ) {}

  /** Last delivery per job: a job's events are delivered in order (InProgress before Succeeded), jobs in parallel. */
  private readonly lastOfJob = new Map<string, Promise<void>>();

  publish(event: JobStatusEvent): void {
    const key = `${event.account}/${event.detail.job_id}`;
    const previous = this.lastOfJob.get(key) ?? Promise.resolve();
    const p: Promise<void> = previous.then(() => this.deliver(event)).finally(() => {
      this.inFlight.delete(p);
      if (this.lastOfJob.get(key) === p) this.lastOfJob.delete(key);
    });
    this.lastOfJob.set(key, p);
    this.inFlight.add(p);
  }

  private async deliver(event: JobStatusEvent): Promise<void> {
    const body = JSON.stringify(event);
    for (let attempt = 0; attempt <= this.opts.retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.opts.baseDelayMs * 2 ** (attempt - 1)));
      try {
        const res = await fetch(this.opts.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(this.opts.secret, body),
            'x-signer-event-id': event.id,
            'x-signer-delivery-attempt': String(attempt + 1),
          },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs),
        });
        if (res.ok) return;
        if (res.status < 500 && res.status !== 429) {
          this.logger.warn('webhook refused event', { eventId: event.id, status: res.status });
          return;
        }
      } catch {
        // network error or timeout: retry
      }
    }
    this.logger.error('webhook delivery failed after retries', { eventId: event.id, attempts: this.opts.retries + 1 });
  }

  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  async close(): Promise<void> {
    await this.flush();
  }
}

/** Publishes each event (QoS 1) to `<topic>/<account>/<jobId>` on an MQTT broker. */
export class MqttSink implements EventSink {
  private readonly inFlight = new Set<Promise<void>>();
  constructor(
    private readonly client: MqttClient,
    private readonly topic: string,
    private readonly logger: Logger,
  ) {}

  /** Connects to `url`; the client reconnects by itself and queues while offline. */
  static async connect(url: string, topic: string, logger: Logger): Promise<MqttSink> {
    const { connectAsync } = await import('mqtt');
    const client = await connectAsync(url, { clientId: `iot-signer-events-${process.pid}-${Date.now()}`, reconnectPeriod: 1000 });
    return new MqttSink(client, topic, logger);
  }

  publish(event: JobStatusEvent): void {
    const p = this.client
      .publishAsync(`${this.topic}/${event.account}/${event.detail.job_id}`, JSON.stringify(event), { qos: 1 })
      .then(
        () => undefined,
        (e: unknown) => this.logger.error('MQTT event publish failed', { eventId: event.id, error: String(e) }),
      )
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.client.endAsync();
  }
}
