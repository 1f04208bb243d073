export * from './iot.types.js';
export { IotError, isIotError, MQTT_ERROR_CODE, type IotErrorCode } from './iot-error.js';
