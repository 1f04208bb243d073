export * from './iot.types.js';
export { IotError, isIotError, MQTT_ERROR_CODE, type IotErrorCode } from './iot-error.js';
export { createIotServices, type IotRuntime, type IotServicesDeps } from './create-iot-services.js';
export { DEFAULT_CERTFILE, type OtaSigning } from './ota-updates-service.js';
export { certificateIdOf } from './certificates-service.js';
export { iotArn, parseIotArn } from './arns.js';
export { SqliteTagService, MAX_TAGS_PER_RESOURCE, type TagService } from './tags-service.js';
