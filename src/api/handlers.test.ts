import { describe, expect, it } from 'vitest';
import { checkHandlers, HANDLERS, SIGNER_OPERATIONS } from './handlers.js';
import { loadSignerModel } from './model.js';
import { loadConfig } from '../config/index.js';
import { ApiServer, type ApiServerDeps } from './server.js';

const model = loadSignerModel();

/** ApiServer's constructor checks the handlers before it touches any other dependency. */
const { limits } = loadConfig({ env: {} });
const serverWith = (over: Partial<ApiServerDeps>) => () =>
  new ApiServer({ model, throttle: { ratePerSecond: 0, burst: 0 }, limits: { ...limits, requestTimeoutMs: limits.apiRequestTimeoutMs }, ...over } as ApiServerDeps);

describe('Signer API handlers', () => {
  it('cover exactly the operations of the model', () => {
    expect([...SIGNER_OPERATIONS].sort()).toEqual(Object.keys(model.operations).sort());
    expect(() => checkHandlers(model, HANDLERS)).not.toThrow();
    expect(serverWith({})).not.toThrow();
  });

  it('a model operation without a handler fails at start, naming the operation', () => {
    const { SignPayload: _gone, ...rest } = HANDLERS;
    expect(() => checkHandlers(model, rest)).toThrow(/no handler for SignPayload/);
    expect(serverWith({ handlers: rest })).toThrow(/the Signer API handlers do not match the model: no handler for SignPayload/);
  });

  it('a model that gained an operation the server does not serve fails at start', () => {
    const grown = { ...model, operations: { ...model.operations, FrobnicateSigningProfile: { ...model.operations.GetSigningProfile!, name: 'FrobnicateSigningProfile' } } };
    expect(serverWith({ model: grown })).toThrow(/no handler for FrobnicateSigningProfile/);
  });

  it('a handler for an operation the model does not have fails at start too', () => {
    expect(() => checkHandlers(model, { ...HANDLERS, Frobnicate: HANDLERS.GetSigningProfile })).toThrow(/handlers for operations the model does not have: Frobnicate/);
  });
});
