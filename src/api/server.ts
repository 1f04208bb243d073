import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { randomUUID, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { AuthError, parseRawQuery, precheckSigV4, verifySigV4, type CredentialLookup, type PrecheckedRequest, type VerifiedRequest, type VerifyOptions } from '../auth/index.js';
import type { AuditTrail } from '../events/index.js';
import type { Logger } from '../log/index.js';
import type { PendingAudit } from '../store/index.js';
import { createLimitedServer, isClientAbort, type ListenerLimits } from '../net/listener-limits.js';
import { SignerError, type SignerService } from '../signer/index.js';
import { ApiError, ErrorRegistry } from './api-error.js';
import { Codec, InputError } from './codec.js';
import { checkHandlers, HANDLERS, type Handler } from './handlers.js';
import { jsonDepth } from './json-depth.js';
import type { ServiceModel } from './model.js';
import { Router } from './router.js';
import { Throttle } from './throttle.js';

/** A JSON 1.1 (X-Amz-Target) service mounted on the same endpoint, e.g. the ACM-compatible subset. */
export interface TargetService {
  /** Target prefix, e.g. `CertificateManager`. */
  prefix: string;
  /** SigV4 service name in the credential scope, e.g. `acm`. */
  signingName: string;
  eventSource: string;
  handlers: Record<string, (input: unknown, caller: { accountId: string; arn: string; region: string }) => Promise<unknown>>;
  /**
   * The request members an operation's audit record keeps (the service knows its model; unknown
   * members of a raw JSON body never reach the trail). Absent: the parsed body, bounded by the trail.
   */
  auditParameters?(operation: string, input: unknown): Record<string, unknown> | undefined;
  /** Maps a thrown error to (type, status, message), or undefined when it is not this service's error. */
  mapError(e: unknown): { type: string; status: number; message: string } | undefined;
}

/** The caller a restJson1 service's handler sees. */
export interface RestCaller {
  accountId: string;
  principalArn: string;
  region: string;
}

/**
 * A restJson1 service mounted on the same endpoint as the Signer API (AWS IoT, the IoT Jobs data
 * plane), routed by method + path from its own model. Services whose paths coincide (IoT and the
 * Jobs data plane both have GET /things/{thingName}/jobs/{jobId}) are told apart by the SigV4
 * service name in the request's credential scope, as their distinct AWS hosts would.
 */
export interface RestService {
  model: ServiceModel;
  /** SigV4 service names accepted in the credential scope (IoT: `iot` and the older `execute-api`). */
  signingNames: readonly string[];
  eventSource: string;
  handlers: Readonly<Record<string, (caller: RestCaller, input: Record<string, unknown>) => unknown>>;
  /** Error types this service answers protocol failures with (all must be in its model or PROTOCOL_ERRORS). */
  errorTypes: { validation: string; serialization: string; throttling: string; internal: string };
  /** Maps a thrown domain error to its API error, or undefined when it is not this service's. */
  mapError(e: unknown): ApiError | undefined;
}

export interface ApiServerDeps {
  model: ServiceModel;
  service: SignerService;
  lookup: CredentialLookup;
  audit: AuditTrail;
  logger: Logger;
  region: string;
  maxBodyBytes: number;
  maxClockSkewMs: number;
  throttle: { ratePerSecond: number; burst: number };
  targets?: TargetService[];
  /** The operation handlers; default: HANDLERS. Checked against the model at construction. */
  handlers?: Readonly<Record<string, Handler>>;
  /** Listener timeouts and per-client caps, body limits before authentication, JSON depth. */
  limits: ApiLimits;
  /** restJson1 services beside the Signer API on the same endpoint. */
  services?: RestService[];
}

/** A restJson1 service with what the server derived from its model (`service` undefined: the Signer API). */
interface Mount {
  service: RestService | undefined;
  signingNames: readonly string[];
  eventSource: string;
  router: Router;
  codec: Codec;
  errors: ErrorRegistry;
}

/** The bounds the API applies to every client (config `limits`, docs/security.md). */
export interface ApiLimits extends ListenerLimits {
  /** Largest body read from a request that failed the header checks; a larger one is not read. */
  readonly unauthenticatedMaxBodyBytes: number;
  /** Per client address token bucket for failed authentications; when empty, the connection is closed. */
  readonly authFailures: { readonly ratePerSecond: number; readonly burst: number };
  /** Deepest JSON nesting accepted in a body (checked on the raw text before parsing). */
  readonly maxJsonDepth: number;
}

const AUTH_ERROR_TYPES: Record<AuthError['code'], string> = {
  MissingAuthenticationToken: 'MissingAuthenticationTokenException',
  IncompleteSignature: 'IncompleteSignatureException',
  UnrecognizedClient: 'UnrecognizedClientException',
  InvalidSignature: 'InvalidSignatureException',
  SignatureExpired: 'InvalidSignatureException',
  WrongScope: 'InvalidSignatureException',
  UnsignedHeaders: 'InvalidSignatureException',
};

class BodyTooLarge extends Error {}

/** Operations that only read (CloudTrail's readOnly events). */
const READ_ONLY = /^(Get|List|Describe)/;

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) return reject(new BodyTooLarge());
    if (req.complete) return resolve(Buffer.alloc(0));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    });
  });
}

/** A body whose size is known from its headers to be at most `max` (chunked bodies are not). */
function declaredAtMost(req: IncomingMessage, max: number): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return false;
  const declared = Number(req.headers['content-length'] ?? 0);
  return Number.isSafeInteger(declared) && declared <= max;
}

/** The Signer REST API over HTTP: SigV4, model-driven routing/validation, restJson1 errors, audit. */
export class ApiServer {
  private readonly router: Router;
  private readonly codec: Codec;
  private readonly errors: ErrorRegistry;
  private readonly throttle: Throttle;
  private readonly handlers: Readonly<Record<string, Handler>>;
  /** Failed authentications per client address. */
  private readonly failures: Throttle;
  /** The Signer API first, then the other restJson1 services. */
  private readonly mounts: Mount[];
  private server: Server | undefined;

  /** @throws Error when a model operation has no handler (a wiring mistake fails at start). */
  constructor(private readonly deps: ApiServerDeps) {
    this.handlers = deps.handlers ?? HANDLERS;
    checkHandlers(deps.model, this.handlers);
    this.router = new Router(deps.model);
    this.codec = new Codec(deps.model);
    this.errors = new ErrorRegistry(deps.model);
    this.throttle = new Throttle(deps.throttle.ratePerSecond, deps.throttle.burst);
    this.failures = new Throttle(deps.limits.authFailures.ratePerSecond, deps.limits.authFailures.burst);
    this.mounts = [{ service: undefined, signingNames: [deps.model.metadata.signingName], eventSource: 'signer.amazonaws.com', router: this.router, codec: this.codec, errors: this.errors }];
    for (const service of deps.services ?? []) {
      checkHandlers(service.model, service.handlers, `${service.model.metadata.serviceId} API`);
      const errors = new ErrorRegistry(service.model);
      for (const type of Object.values(service.errorTypes)) errors.create(type, ''); // fails at start-up, not on a request
      this.mounts.push({ service, signingNames: service.signingNames, eventSource: service.eventSource, router: new Router(service.model), codec: new Codec(service.model, { wholePatterns: true }), errors });
    }
  }

  get errorRegistry(): ErrorRegistry {
    return this.errors;
  }

  /** Starts listening; resolves with the bound port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createLimitedServer(this.deps.limits, (req, res) => void this.handle(req, res));
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        this.server = server;
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private send(res: ServerResponse, requestId: string, status: number, body: string, errorType?: string): void {
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-amzn-RequestId': requestId,
    };
    if (errorType) headers['x-amzn-ErrorType'] = errorType;
    res.writeHead(status, headers);
    res.end(body);
  }

  /** restJson1 reads the type from the header; AWS JSON 1.1 clients (botocore) read body `__type`. */
  private sendError(res: ServerResponse, requestId: string, e: ApiError, json11 = false): void {
    const body = json11 ? { __type: e.type, message: e.message } : { message: e.message };
    this.send(res, requestId, e.status, JSON.stringify(body), e.type);
  }

  /** Refuses JSON nested deeper than the limit, measured on the raw text before any parser recurses. */
  private checkJsonDepth(body: Buffer): void {
    const max = this.deps.limits.maxJsonDepth;
    if (jsonDepth(body.toString('utf8'), max) > max) {
      throw new InputError('serialization', [`The request body nests deeper than ${max} levels.`]);
    }
  }

  /** Turns anything thrown into the error response a client should see; internals go to the log only. */
  private toApiError(e: unknown, requestId: string, target?: TargetService, req?: IncomingMessage, mount?: Mount): ApiError {
    if (e instanceof ApiError) return e;
    if (e instanceof BodyTooLarge) {
      return this.errors.create('RequestEntityTooLargeException', `The request body exceeds ${this.deps.maxBodyBytes} bytes.`);
    }
    if (isClientAbort(e, req)) {
      this.deps.logger.debug('client went away', { requestId, reason: e instanceof Error ? e.message : String(e) });
      return new ApiError('ClientAborted', 0, 'The client closed the connection.');
    }
    const rest = mount?.service;
    if (rest) {
      const mapped = rest.mapError(e);
      if (mapped) return mapped;
      if (e instanceof AuthError) return mount!.errors.create(AUTH_ERROR_TYPES[e.code], e.message);
      if (e instanceof InputError) return mount!.errors.create(e.kind === 'serialization' ? rest.errorTypes.serialization : rest.errorTypes.validation, e.message);
      this.deps.logger.error('internal error', { requestId, error: e instanceof Error ? e.stack : String(e) });
      return mount!.errors.create(rest.errorTypes.internal, 'An internal error occurred. Quote the request id when reporting it.');
    }
    if (e instanceof SignerError) return this.errors.create(e.code, e.message);
    if (e instanceof AuthError) return this.errors.create(AUTH_ERROR_TYPES[e.code], e.message);
    if (e instanceof InputError) {
      return this.errors.create(e.kind === 'serialization' ? 'SerializationException' : 'ValidationException', e.message);
    }
    const mapped = target?.mapError(e);
    if (mapped) return new ApiError(mapped.type, mapped.status, mapped.message);
    this.deps.logger.error('internal error', { requestId, error: e instanceof Error ? e.stack : String(e) });
    return this.errors.create('InternalServiceErrorException', 'An internal error occurred. Quote the request id when reporting it.');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    // A client that hangs up must not crash the process; the body reader sees the error.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    const method = req.method ?? 'GET';
    const sourceIPAddress = req.socket.remoteAddress ?? 'unknown';
    const userAgent = (req.headers['x-amz-user-agent'] ?? req.headers['user-agent']) as string | undefined;

    if (method === 'GET' && rawPath === '/ping') {
      if (!declaredAtMost(req, 0)) res.setHeader('connection', 'close');
      return this.send(res, requestId, 200, '{"status":"ok"}');
    }

    const targetHeader = req.headers['x-amz-target'];
    const target =
      typeof targetHeader === 'string' && method === 'POST' && rawPath === '/'
        ? this.deps.targets?.find((t) => targetHeader.startsWith(t.prefix + '.'))
        : undefined;
    // Every restJson1 service whose model has this method + path; more than one only for IoT vs the Jobs data plane.
    const candidates = target
      ? []
      : this.mounts.flatMap((m) => {
          const r = m.router.match(method, rawPath);
          return r ? [{ mount: m, route: r }] : [];
        });
    let chosen = candidates[0];
    let eventName = target ? String(targetHeader).slice(target.prefix.length + 1) : chosen?.route.op.name ?? 'UnknownOperation';
    let eventSource = target ? target.eventSource : chosen?.mount.eventSource ?? 'signer.amazonaws.com';
    let verified: VerifiedRequest | undefined;
    let input: Record<string, unknown> | undefined;
    // A state-changing call's audit scope: the store commits its record with the change (events/audit-trail.ts).
    const durable = !READ_ONLY.test(eventName);
    let scope: PendingAudit | undefined;
    const auditBase = () => ({
      eventName, eventSource, accountId: verified?.credential.accountId, principalArn: verified?.credential.principalArn,
      accessKeyId: verified?.credential.accessKeyId, sourceIPAddress, userAgent, requestId,
      requestParameters: target ? target.auditParameters?.(eventName, input) ?? input : input,
    });
    let body: Buffer | undefined;
    try {
      if (!target && !chosen) {
        throw this.errors.create('UnknownOperationException', `No operation matches ${method} ${rawPath}.`);
      }
      const signed = { method, rawPath, rawQuery, headers: req.headers };
      const verifyOpts: VerifyOptions = {
        services: target ? [target.signingName] : candidates.flatMap((c) => c.mount.signingNames),
        region: this.deps.region,
        lookup: this.deps.lookup,
        uriEscapePath: true,
        maxSkewMs: this.deps.maxClockSkewMs,
        requireHexPayloadHash: true,
      };
      // Headers first: a request that cannot be authentic is refused before its body is read.
      const prechecked: PrecheckedRequest = await precheckSigV4(signed, verifyOpts);
      body = await readBody(req, this.deps.maxBodyBytes).catch((e: unknown) => {
        if (e instanceof BodyTooLarge) res.setHeader('connection', 'close');
        throw e;
      });
      verified = await verifySigV4(signed, { ...verifyOpts, bodySha256: createHash('sha256').update(body).digest('hex') }, prechecked);
      if (candidates.length > 1) {
        // Paths shared by IoT and the Jobs data plane (all reads): the scope's service name picks the model.
        const service = verified.service;
        chosen = candidates.find((c) => c.mount.signingNames.includes(service)) ?? chosen;
        eventName = chosen!.route.op.name;
        eventSource = chosen!.mount.eventSource;
      }
      const caller = { accountId: verified.credential.accountId, principalArn: verified.credential.principalArn };
      if (!this.throttle.take(caller.accountId, eventName)) {
        throw (chosen?.mount ?? this.mounts[0]!).errors.create(chosen?.mount.service?.errorTypes.throttling ?? 'TooManyRequestsException', 'Rate exceeded.');
      }
      let responseBody: string;
      let status = 200;
      if (target) {
        const handler = target.handlers[eventName];
        if (!handler) throw this.errors.create('UnknownOperationException', `${target.prefix} has no operation ${eventName}.`);
        let parsed: unknown = {};
        if (body.length) {
          this.checkJsonDepth(body);
          try {
            parsed = JSON.parse(body.toString('utf8'));
          } catch {
            throw new InputError('serialization', ['The request body is not valid JSON.']);
          }
        }
        input = parsed as Record<string, unknown>;
        if (durable) scope = this.deps.audit.open(auditBase());
        const out = await this.deps.audit.within(scope, () =>
          handler(parsed, { accountId: caller.accountId, arn: caller.principalArn, region: this.deps.region }),
        );
        responseBody = JSON.stringify(out ?? {});
      } else {
        const { mount, route } = chosen!;
        const op = route.op;
        this.checkJsonDepth(body);
        input = mount.codec.parseInput(op.input, {
          labels: route.labels,
          query: parseRawQuery(rawQuery),
          headers: req.headers,
          body: body.toString('utf8'),
        });
        if (durable) scope = this.deps.audit.open(auditBase());
        const rest = mount.service;
        const out = await this.deps.audit.within(scope, async () =>
          rest ? rest.handlers[op.name]!({ ...caller, region: this.deps.region }, input!) : this.handlers[op.name]!(this.deps.service, caller, input!),
        );
        responseBody = mount.codec.serializeOutput(op.output, out);
        status = op.http.responseCode ?? 200;
      }
      // A state-changing call answers after its record is committed (with its change, or alone if it
      // changed nothing); reads join a short batch.
      if (scope) await this.deps.audit.settle(scope);
      else {
        this.deps.audit
          .record(auditBase(), { durable: false })
          .catch((e: unknown) => this.deps.logger.error('audit write failed', { requestId, error: String(e) }));
      }
      this.send(res, requestId, status, responseBody, undefined);
    } catch (e) {
      if (scope) scope.closed = true;
      const err = this.toApiError(e, requestId, target, req, chosen?.mount);
      if (err.status === 0) return; // the client went away: nobody to answer
      const authFailed = verified === undefined;
      if (authFailed && !this.failures.take(sourceIPAddress, 'auth')) {
        // Too many failures from this address: counted like any unauthenticated failure (no row of its
        // own), answered, and the connection dropped.
        this.deps.audit.unauthenticated({ ...auditBase(), errorCode: 'TooManyRequestsException', errorMessage: 'Too many failed authentications from this address.' });
        res.setHeader('connection', 'close');
        return this.sendError(res, requestId, this.errors.create('TooManyRequestsException', 'Too many failed authentications from this address.'), target !== undefined);
      }
      if (body === undefined && !(e instanceof BodyTooLarge)) {
        // Refused on its headers: read a small body so the connection stays usable, never a large one.
        if (declaredAtMost(req, this.deps.limits.unauthenticatedMaxBodyBytes)) {
          await readBody(req, this.deps.limits.unauthenticatedMaxBodyBytes).catch(() => res.setHeader('connection', 'close'));
        } else res.setHeader('connection', 'close');
      }
      if (scope?.written) {
        // The change and its record are committed; what failed came after. The log ties the error to the request id.
        this.deps.logger.error('state-changing call failed after its change was committed', { requestId, eventName, errorCode: err.type });
      } else if (!verified) {
        // Unauthenticated: counted per minute and reason, a few sampled; never one row per request.
        this.deps.audit.unauthenticated({ ...auditBase(), errorCode: err.type, errorMessage: err.message });
      } else {
        try {
          await this.deps.audit.record({ ...auditBase(), errorCode: err.type, errorMessage: err.message });
        } catch (auditError) {
          this.deps.logger.error('audit write failed', { requestId, error: String(auditError) });
        }
      }
      if (!req.socket.destroyed) this.sendError(res, requestId, err, target !== undefined);
    }
  }
}
