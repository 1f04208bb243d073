/**
 * How the OTA service talks MQTT: to the embedded aedes broker in-process, or to an external
 * broker (Mosquitto, AWS IoT Core) as an ordinary `mqtt` client. The Jobs and stream code is the
 * same over both.
 */
export interface MqttTransport {
  /** Device requests arrive here (topic, payload). Set before `start`. */
  onMessage(handler: (topic: string, payload: Uint8Array) => void): void;
  /** Starts receiving publishes that match `filters`. */
  start(filters: readonly string[]): Promise<void>;
  publish(topic: string, payload: Uint8Array | string, qos: 0 | 1): Promise<void>;
  /** Whether some client subscribes to `topic`; undefined when the broker cannot tell (external broker). */
  hasSubscriber(topic: string): boolean | undefined;
  close(): Promise<void>;
}
