/** AWS IoT (control plane) and the IoT Jobs data plane as restJson1 services on the Signer API's endpoint. */
import { isIotError, type IotServices, type TagService } from '../../iot/index.js';
import { ApiError } from '../api-error.js';
import { loadModel, type ServiceModel } from '../model.js';
import type { RestService } from '../server.js';
import { iotHandlers, type EndpointLookup } from './iot-handlers.js';
import { jobsDataHandlers } from './jobs-data-handlers.js';

export type { EndpointLookup } from './iot-handlers.js';

/** Statuses for domain error names a model does not list (the Jobs data plane has no VersionConflictException). */
const FALLBACK_STATUS: Record<string, number> = {
  ConflictException: 409,
  VersionConflictException: 409,
  ConflictingResourceUpdateException: 409,
  InvalidStateTransitionException: 409,
  LimitExceededException: 410,
  ResourceAlreadyExistsException: 409,
  DeleteConflictException: 409,
  CertificateStateException: 406,
  TerminalStateException: 410,
  ThrottlingException: 429,
  UnauthorizedException: 401,
  ServiceUnavailableException: 503,
  InternalFailureException: 500,
};

/** IotError → the status the service's model gives its name (or the fallback above). */
function errorMapper(model: ServiceModel): (e: unknown) => ApiError | undefined {
  return (e) => {
    if (!isIotError(e)) return undefined;
    const status = model.shapes[e.code]?.error?.httpStatusCode ?? FALLBACK_STATUS[e.code] ?? 400;
    return new ApiError(e.code, status, e.message);
  };
}

export function createIotRestServices(iot: IotServices, opts: { endpoint: EndpointLookup; tags: TagService }): RestService[] {
  const iotModel = loadModel('iot');
  const dataModel = loadModel('iot-jobs-data');
  return [
    {
      model: iotModel,
      // Debian's AWS CLI 2.9.19 signs `iot` with the service's older SigV4 name.
      signingNames: ['iot', 'execute-api'],
      eventSource: 'iot.amazonaws.com',
      handlers: iotHandlers(iot, opts.endpoint, opts.tags),
      errorTypes: { validation: 'InvalidRequestException', serialization: 'InvalidRequestException', throttling: 'ThrottlingException', internal: 'InternalFailureException' },
      mapError: errorMapper(iotModel),
    },
    {
      model: dataModel,
      signingNames: ['iot-jobs-data'],
      eventSource: 'iot.amazonaws.com',
      handlers: jobsDataHandlers(iot),
      errorTypes: { validation: 'InvalidRequestException', serialization: 'InvalidRequestException', throttling: 'ThrottlingException', internal: 'ServiceUnavailableException' },
      mapError: errorMapper(dataModel),
    },
  ];
}
