/**
 * The OTA wire format shared by the device side (simulator/agent) and the server (src/ota): job
 * documents, stream messages in JSON and CBOR, bitmaps and topic names. Pure TypeScript, no
 * node: imports, so it runs wherever a device simulation runs.
 */
export * from './base64.js';
export * from './bitmap.js';
export * from './job-document.js';
export * from './stream-messages.js';
export * from './topics.js';
