import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { AuthError, parseRawQuery, verifySigV4, type CredentialLookup, type VerifiedRequest } from '../auth/index.js';
import type { AuditTrail } from '../events/index.js';
import type { Logger } from '../log/index.js';
import { SignerError, type SignerService } from '../signer/index.js';
import { ApiError, ErrorRegistry } from './api-error.js';
import { Codec, InputError } from './codec.js';
import { HANDLERS } from './handlers.js';
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
  handlers: Record<string, (caller: RestCaller, input: Record<string, unknown>) => unknown>;
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
  /** restJson1 services beside the Signer API on the same endpoint. */
  services?: RestService[];
}

/** A restJson1 service with what the server derived from its model. */
interface Mount {
  service: RestService | undefined;
  signingNames: readonly string[];
  eventSource: string;
  router: Router;
  codec: Codec;
  errors: ErrorRegistry;
}

const AUTH_ERROR_TYPES: Record<AuthError['code'], string> = {
  MissingAuthenticationToken: 'MissingAuthenticationTokenException',
  IncompleteSignature: 'IncompleteSignatureException',
  UnrecognizedClient: 'UnrecognizedClientException',
  InvalidSignature: 'InvalidSignatureException',
  SignatureExpired: 'InvalidSignatureException',
  WrongScope: 'InvalidSignatureException',
};

class BodyTooLarge extends Error {}

/** Operations that only read (CloudTrail's readOnly events). */
const READ_ONLY = /^(Get|List|Describe)/;

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) return reject(new BodyTooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The Signer REST API over HTTP: SigV4, model-driven routing/validation, restJson1 errors, audit. */
export class ApiServer {
  private readonly router: Router;
  private readonly codec: Codec;
  private readonly errors: ErrorRegistry;
  private readonly throttle: Throttle;
  /** The Signer API first, then the other restJson1 services. */
  private readonly mounts: Mount[];
  private server: Server | undefined;

  constructor(private readonly deps: ApiServerDeps) {
    this.router = new Router(deps.model);
    this.codec = new Codec(deps.model);
    this.errors = new ErrorRegistry(deps.model);
    this.throttle = new Throttle(deps.throttle.ratePerSecond, deps.throttle.burst);
    const signer: Mount = {
      service: undefined,
      signingNames: [deps.model.metadata.signingName],
      eventSource: 'signer.amazonaws.com',
      router: this.router,
      codec: this.codec,
      errors: this.errors,
    };
    this.mounts = [signer];
    for (const service of deps.services ?? []) {
      const errors = new ErrorRegistry(service.model);
      for (const type of Object.values(service.errorTypes)) errors.create(type, ''); // fails at start-up, not on a request
      const missing = Object.keys(service.model.operations).filter((op) => !service.handlers[op]);
      if (missing.length) throw new Error(`${service.model.metadata.serviceId}: no handler for ${missing.join(', ')}`);
      this.mounts.push({ service, signingNames: service.signingNames, eventSource: service.eventSource, router: new Router(service.model), codec: new Codec(service.model, { wholePatterns: true }), errors });
    }
  }

  get errorRegistry(): ErrorRegistry {
    return this.errors;
  }

  /** Starts listening; resolves with the bound port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((req, res) => void this.handle(req, res));
      server.keepAliveTimeout = 65_000;
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

  /** Turns anything thrown into the error response a client should see; internals go to the log only. */
  private toApiError(e: unknown, requestId: string, target?: TargetService, mount?: Mount): ApiError {
    if (e instanceof ApiError) return e;
    const rest = mount?.service;
    if (rest) {
      const mapped = rest.mapError(e);
      if (mapped) return mapped;
      if (e instanceof AuthError) return mount.errors.create(AUTH_ERROR_TYPES[e.code], e.message);
      if (e instanceof InputError) return mount.errors.create(e.kind === 'serialization' ? rest.errorTypes.serialization : rest.errorTypes.validation, e.message);
      this.deps.logger.error('internal error', { requestId, error: e instanceof Error ? e.stack : String(e) });
      return mount.errors.create(rest.errorTypes.internal, 'An internal error occurred. Quote the request id when reporting it.');
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
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    const method = req.method ?? 'GET';
    const sourceIPAddress = req.socket.remoteAddress ?? 'unknown';
    const userAgent = (req.headers['x-amz-user-agent'] ?? req.headers['user-agent']) as string | undefined;

    let body: Buffer;
    try {
      body = await readBody(req, this.deps.maxBodyBytes);
    } catch (e) {
      res.setHeader('connection', 'close');
      if (e instanceof BodyTooLarge) {
        return this.sendError(res, requestId, this.errors.create('RequestEntityTooLargeException', `The request body exceeds ${this.deps.maxBodyBytes} bytes.`));
      }
      return this.sendError(res, requestId, this.toApiError(e, requestId));
    }

    if (method === 'GET' && rawPath === '/ping') return this.send(res, requestId, 200, '{"status":"ok"}');

    const targetHeader = req.headers['x-amz-target'];
    const target =
      typeof targetHeader === 'string' && method === 'POST' && rawPath === '/'
        ? this.deps.targets?.find((t) => targetHeader.startsWith(t.prefix + '.'))
        : undefined;
    // Every restJson1 service whose model has this method + path; more than one only for IoT vs the Jobs data plane.
    const candidates = target ? [] : this.mounts.flatMap((m) => {
      const r = m.router.match(method, rawPath);
      return r ? [{ mount: m, route: r }] : [];
    });
    let chosen = candidates[0];
    let eventName = target ? String(targetHeader).slice(target.prefix.length + 1) : chosen?.route.op.name ?? 'UnknownOperation';
    let eventSource = target ? target.eventSource : chosen?.mount.eventSource ?? 'signer.amazonaws.com';
    let verified: VerifiedRequest | undefined;
    let input: Record<string, unknown> | undefined;
    try {
      if (!target && !chosen) {
        throw this.errors.create('UnknownOperationException', `No operation matches ${method} ${rawPath}.`);
      }
      verified = await verifySigV4(
        { method, rawPath, rawQuery, headers: req.headers },
        {
          services: target ? [target.signingName] : candidates.flatMap((c) => c.mount.signingNames),
          region: this.deps.region,
          lookup: this.deps.lookup,
          bodySha256: createHash('sha256').update(body).digest('hex'),
          uriEscapePath: true,
          maxSkewMs: this.deps.maxClockSkewMs,
        },
      );
      if (candidates.length > 1) {
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
          try {
            parsed = JSON.parse(body.toString('utf8'));
          } catch {
            throw new InputError('serialization', ['The request body is not valid JSON.']);
          }
        }
        input = parsed as Record<string, unknown>;
        const out = await handler(parsed, { accountId: caller.accountId, arn: caller.principalArn, region: this.deps.region });
        responseBody = JSON.stringify(out ?? {});
      } else {
        const { mount, route } = chosen!;
        const op = route.op;
        input = mount.codec.parseInput(op.input, {
          labels: route.labels,
          query: parseRawQuery(rawQuery),
          headers: req.headers,
          body: body.toString('utf8'),
        });
        const out = mount.service
          ? await mount.service.handlers[op.name]!({ ...caller, region: this.deps.region }, input)
          : await HANDLERS[op.name]!(this.deps.service, caller, input);
        responseBody = mount.codec.serializeOutput(op.output, out);
        status = op.http.responseCode ?? 200;
      }
      // Calls that change state answer after their audit record is committed; reads join a short batch.
      const durable = !READ_ONLY.test(eventName);
      const audited = this.deps.audit.record(
        {
          eventName, eventSource, accountId: caller.accountId, principalArn: caller.principalArn, accessKeyId: verified.credential.accessKeyId,
          sourceIPAddress, userAgent, requestId, requestParameters: input,
        },
        { durable },
      );
      if (durable) await audited;
      else audited.catch((e: unknown) => this.deps.logger.error('audit write failed', { requestId, error: String(e) }));
      this.send(res, requestId, status, responseBody, undefined);
    } catch (e) {
      const err = this.toApiError(e, requestId, target, chosen?.mount);
      try {
        await this.deps.audit.record({
          eventName, eventSource, accountId: verified?.credential.accountId, principalArn: verified?.credential.principalArn,
          accessKeyId: verified?.credential.accessKeyId, sourceIPAddress, userAgent, requestId,
          requestParameters: input, errorCode: err.type, errorMessage: err.message,
        });
      } catch (auditError) {
        this.deps.logger.error('audit write failed', { requestId, error: String(auditError) });
      }
      this.sendError(res, requestId, err, target !== undefined);
    }
  }
}
