import type { Caller, SignerService } from '../signer/index.js';
import type { ServiceModel } from './model.js';

/** The 19 operations of the Signer model (model/signer-model.json); `checkHandlers` proves at start that the two agree. */
export const SIGNER_OPERATIONS = [
  'AddProfilePermission', 'CancelSigningProfile', 'DescribeSigningJob', 'GetRevocationStatus', 'GetSigningPlatform',
  'GetSigningProfile', 'ListProfilePermissions', 'ListSigningJobs', 'ListSigningPlatforms', 'ListSigningProfiles',
  'ListTagsForResource', 'PutSigningProfile', 'RemoveProfilePermission', 'RevokeSignature', 'RevokeSigningProfile',
  'SignPayload', 'StartSigningJob', 'TagResource', 'UntagResource',
] as const;
export type SignerOperation = (typeof SIGNER_OPERATIONS)[number];

/** An operation's input as the codec hands it over: checked against the model's input shape of that operation. */
export type ValidatedInput = Readonly<Record<string, unknown>>;
/** One handler per operation: validated input in, model-shaped output (or nothing) out. */
export type Handler = (svc: SignerService, caller: Caller, input: ValidatedInput) => unknown;

type Family = 'profiles' | 'permissions' | 'tags' | 'jobs';
/** The methods of a resource family that serve an operation: `(caller, input) => …`. */
type OperationMethod<F extends Family> = {
  [M in keyof SignerService[F]]: SignerService[F][M] extends (caller: Caller, input: never) => unknown ? M : never;
}[keyof SignerService[F]];
/** The input type a service method declares. */
type InputOf<F extends Family, M extends OperationMethod<F>> = SignerService[F][M] extends (caller: Caller, input: infer I) => unknown ? I : never;

/**
 * The handler that calls `svc[family][method](caller, input)`. The one place where the validated
 * input meets the method's declared type: the codec has checked required members, types, enums,
 * lengths and patterns against the operation's input shape, which is what the method declares.
 */
function method<F extends Family, M extends OperationMethod<F>>(family: F, name: M): Handler {
  return (svc, caller, input) => {
    const target = svc[family];
    const fn = target[name] as (this: SignerService[F], caller: Caller, input: InputOf<F, M>) => unknown;
    return fn.call(target, caller, input as InputOf<F, M>);
  };
}

/** Every model operation and the service method that serves it (the compiler checks each name; `checkHandlers` the set). */
export const HANDLERS: Readonly<Record<SignerOperation, Handler>> = {
  ListSigningPlatforms: (s, _c, i) => s.listPlatforms(i as Parameters<SignerService['listPlatforms']>[0]),
  GetSigningPlatform: (s, _c, i) => s.getPlatform(i as Parameters<SignerService['getPlatform']>[0]),
  PutSigningProfile: method('profiles', 'put'),
  GetSigningProfile: method('profiles', 'get'),
  ListSigningProfiles: method('profiles', 'list'),
  CancelSigningProfile: method('profiles', 'cancel'),
  RevokeSigningProfile: method('profiles', 'revoke'),
  AddProfilePermission: method('permissions', 'add'),
  ListProfilePermissions: method('permissions', 'list'),
  RemoveProfilePermission: method('permissions', 'remove'),
  TagResource: method('tags', 'tag'),
  UntagResource: method('tags', 'untag'),
  ListTagsForResource: method('tags', 'list'),
  StartSigningJob: method('jobs', 'start'),
  SignPayload: method('jobs', 'signPayload'),
  DescribeSigningJob: method('jobs', 'describe'),
  ListSigningJobs: method('jobs', 'list'),
  RevokeSignature: method('jobs', 'revoke'),
  GetRevocationStatus: method('jobs', 'revocationStatus'),
};

/**
 * Start-up check: every operation of the model has a handler and every handler an operation.
 * @throws Error naming what is missing, so a model update without its handler fails at start, not on first call.
 */
export function checkHandlers(model: ServiceModel, handlers: Readonly<Record<string, unknown>>, name = 'Signer API'): void {
  const missing = Object.keys(model.operations).filter((op) => typeof handlers[op] !== 'function');
  const unknown = Object.keys(handlers).filter((op) => !(op in model.operations));
  if (missing.length > 0 || unknown.length > 0) {
    throw new Error(
      `the ${name} handlers do not match the model: ${[
        missing.length > 0 ? `no handler for ${missing.join(', ')}` : '',
        unknown.length > 0 ? `handlers for operations the model does not have: ${unknown.join(', ')}` : '',
      ].filter(Boolean).join('; ')}`,
    );
  }
}
