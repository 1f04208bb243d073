export { OtaAgent, type AgentConnection, type AgentEvent, type AgentOptions, type AgentState } from './ota-agent.js';
export { SimulatedDevice, type SimulatedDeviceOptions } from './device.js';
export { SimulatedFlash, type PalImageState } from './flash.js';
export { buildImage, imageVersion, version32, fromVersion32, type AppVersion } from './firmware-image.js';
export { manualScheduler, realScheduler, type Scheduler } from './scheduler.js';
export { status, AgentErr, PalErr } from './status.js';
