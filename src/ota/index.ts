export { loadOrCreateBrokerTls, type BrokerTls } from './broker-certs.js';
export { startEmbeddedBroker, type EmbeddedBroker, type DeviceDirectory } from './embedded-broker.js';
export { connectExternalTransport } from './external-transport.js';
export { startOtaService, REQUEST_FILTERS, type OtaService } from './ota-service.js';
export type { MqttTransport } from './transport.js';
