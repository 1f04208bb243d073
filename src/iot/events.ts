import type { IotEvent, IotEvents } from './iot.types.js';

/** In-process fan-out of domain events. A listener that throws is isolated from the others. */
export class IotEventBus implements IotEvents {
  private readonly listeners = new Set<(e: IotEvent) => void>();
  constructor(private readonly onListenerError: (e: unknown) => void = () => undefined) {}
  subscribe(listener: (event: IotEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: IotEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (e) {
        this.onListenerError(e);
      }
    }
  }
}
