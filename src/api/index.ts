/** The HTTP face of the server: the Signer REST API (and JSON 1.1 services on the same port). */
export { ApiServer, type ApiServerDeps, type RestCaller, type RestService, type TargetService } from './server.js';
export { loadModel, loadSignerModel, type ServiceModel } from './model.js';
export { ErrorRegistry, ApiError, PROTOCOL_ERRORS } from './api-error.js';
export { Codec, InputError } from './codec.js';
export { Router } from './router.js';
