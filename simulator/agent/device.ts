/**
 * A simulated device: one MQTT client (mutual TLS or plain), a flash that survives resets, and an
 * OTA agent that is booted again on every reset. A reconnect of the MQTT client resumes the agent
 * (OTA_Resume), so a download continues from its bitmap within one boot.
 */
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { OtaAgent, type AgentEvent, type AgentOptions } from './ota-agent.js';
import type { SimulatedFlash } from './flash.js';
import type { Scheduler } from './scheduler.js';

export interface SimulatedDeviceOptions extends Omit<AgentOptions, 'connection' | 'boot' | 'onReset' | 'onEvent' | 'flash' | 'scheduler'> {
  url: string;
  /** TLS material for mqtts:// (PEM). */
  tls?: { ca: string; cert: string; key: string };
  flash: SimulatedFlash;
  scheduler: Scheduler;
  /** Every agent event, with the boot it happened in (1 = first boot). */
  onEvent?: (e: AgentEvent, boot: number) => void;
  /** Milliseconds between reconnect attempts (0 = no reconnect). Default 500. */
  reconnectPeriod?: number;
}

export class SimulatedDevice {
  agent!: OtaAgent;
  boots = 0;
  private constructor(
    readonly client: MqttClient,
    private readonly opts: SimulatedDeviceOptions,
  ) {}

  static async connect(opts: SimulatedDeviceOptions): Promise<SimulatedDevice> {
    const options: IClientOptions = {
      clientId: opts.thingName,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: opts.reconnectPeriod ?? 500,
      // The agent's metadata username; not a credential.
      username: '?SDK=iot-signer-simulator&OTALib=otalib@3.4.0',
      ...(opts.tls ? { ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key } : {}),
    };
    const client = await connectAsync(opts.url, options);
    // One small request per block: do not let Nagle's algorithm hold it back (lwIP ports usually set TCP_NODELAY too).
    const noDelay = () => (client.stream as { setNoDelay?: (v: boolean) => void } | undefined)?.setNoDelay?.(true);
    noDelay();
    const device = new SimulatedDevice(client, opts);
    client.on('message', (topic, payload) => device.agent.onMessage(topic, new Uint8Array(payload)));
    client.on('connect', () => {
      noDelay();
      device.agent.resume();
    });
    client.on('error', () => undefined);
    device.bootAgent();
    return device;
  }

  private bootAgent(): void {
    this.boots++;
    const boot = this.opts.flash.boot();
    const n = this.boots;
    const c = this.client;
    this.agent = new OtaAgent({
      ...this.opts,
      boot,
      connection: {
        subscribe: (t, qos) => void c.subscribeAsync(t, { qos }).catch(() => undefined),
        unsubscribe: (t) => void c.unsubscribeAsync(t).catch(() => undefined),
        publish: (t, p, qos) => void c.publishAsync(t, typeof p === 'string' ? p : Buffer.from(p), { qos }).catch(() => undefined),
      },
      onEvent: (e) => this.opts.onEvent?.(e, n),
      // A reset reboots on the next turn of the event loop (never inside the agent's own call).
      onReset: () => setImmediate(() => this.bootAgent()),
    });
    this.agent.start();
  }

  async close(): Promise<void> {
    this.agent.stop();
    await this.client.endAsync(true);
  }
}
