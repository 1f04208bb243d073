import { createHash, X509Certificate } from 'node:crypto';
import { OID_CLIENT_AUTH, type LocalCa } from '../keys/index.js';
import { iotArn, parseIotArn } from './arns.js';
import { IotError } from './iot-error.js';
import { decode, encode, type IotDb } from './iot-store.js';
import type { CertificateService, CertificateStatus, DeviceCertificate, IotContext, Paged } from './iot.types.js';
import { pageWindow, toPage } from './pagination.js';
import type { SqliteThingService } from './things-service.js';

const SETTABLE: readonly CertificateStatus[] = ['ACTIVE', 'INACTIVE', 'REVOKED'];

/** AWS IoT's certificate id: the SHA-256 of the DER certificate, lowercase hex. */
export function certificateIdOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new IotError('CertificateValidationException', 'certificatePem must be one PEM certificate (-----BEGIN CERTIFICATE-----).');
  return new Uint8Array(Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64'));
}

function parse(pem: string): { der: Uint8Array; x509: X509Certificate } {
  const der = pemToDer(pem);
  try {
    return { der, x509: new X509Certificate(der) };
  } catch {
    throw new IotError('CertificateValidationException', 'certificatePem is not a valid X.509 certificate.');
  }
}

export class SqliteCertificateService implements CertificateService {
  constructor(
    private readonly d: IotDb,
    private readonly things: SqliteThingService,
    private readonly deviceCa: LocalCa,
  ) {}

  private get(ctx: IotContext, certificateId: string): DeviceCertificate {
    const row = this.d.q('SELECT data FROM iot_certificates WHERE certificate_id = ? AND account_id = ?').get(certificateId, ctx.accountId) as { data: string } | undefined;
    if (!row) throw new IotError('ResourceNotFoundException', `Certificate ${certificateId} cannot be found.`);
    return decode<DeviceCertificate>(row.data);
  }

  private insert(ctx: IotContext, pem: string, der: Uint8Array, x509: X509Certificate, status: CertificateStatus, mode: DeviceCertificate['certificateMode'], caCertificateId?: string): DeviceCertificate {
    const certificateId = certificateIdOf(der);
    const now = new Date();
    const cert: DeviceCertificate = {
      certificateId,
      certificateArn: iotArn(ctx, 'cert', certificateId),
      certificatePem: pem,
      status,
      certificateMode: mode,
      ...(caCertificateId ? { caCertificateId } : {}),
      ownedBy: ctx.accountId,
      creationDate: now,
      lastModifiedDate: now,
      validity: { notBefore: new Date(x509.validFrom), notAfter: new Date(x509.validTo) },
    };
    const existing = this.d.q('SELECT 1 FROM iot_certificates WHERE certificate_id = ?').get(certificateId);
    if (existing) throw new IotError('ResourceAlreadyExistsException', `Certificate ${certificateId} is already registered.`);
    this.d.q('INSERT INTO iot_certificates (certificate_id, account_id, status, created_at, data) VALUES (?, ?, ?, ?, ?)').run(certificateId, ctx.accountId, status, now.getTime(), encode(cert));
    return cert;
  }

  async createKeysAndCertificate(ctx: IotContext, input: { setAsActive?: boolean }) {
    const issued = await this.deviceCa.issue({ subject: 'CN=AWS IoT Certificate, O=iot-signer device', extendedKeyUsage: [OID_CLIENT_AUTH] });
    const x509 = new X509Certificate(issued.certificateDer);
    const caId = certificateIdOf(pemToDer(this.deviceCa.certificatePem));
    const certificate = this.insert(ctx, issued.certificatePem, issued.certificateDer, x509, input.setAsActive ? 'ACTIVE' : 'INACTIVE', 'DEFAULT', caId);
    const publicKey = x509.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    return { certificate, keyPair: { PublicKey: publicKey, PrivateKey: issued.privateKeyPem } };
  }

  async registerCertificateWithoutCA(ctx: IotContext, input: { certificatePem: string; status?: CertificateStatus }): Promise<DeviceCertificate> {
    const status = input.status ?? 'ACTIVE';
    if (!SETTABLE.includes(status)) throw new IotError('InvalidRequestException', `status must be one of ${SETTABLE.join(', ')}.`);
    const { der, x509 } = parse(input.certificatePem);
    if (new Date(x509.validTo).getTime() < Date.now()) throw new IotError('CertificateValidationException', 'The certificate has expired.');
    return this.insert(ctx, input.certificatePem, der, x509, status, 'SNI_ONLY');
  }

  async describeCertificate(ctx: IotContext, certificateId: string): Promise<DeviceCertificate> {
    if (!/^[0-9a-f]{64}$/.test(certificateId)) throw new IotError('InvalidRequestException', 'certificateId must be 64 hexadecimal characters.');
    return this.get(ctx, certificateId);
  }

  async listCertificates(ctx: IotContext, input: { nextToken?: string; maxResults?: number; ascendingOrder?: boolean }): Promise<Paged<DeviceCertificate>> {
    const { offset, limit } = pageWindow(input);
    const order = input.ascendingOrder ? 'ASC' : 'DESC';
    const rows = this.d.q(`SELECT data FROM iot_certificates WHERE account_id = ? ORDER BY created_at ${order}, certificate_id ${order} LIMIT ? OFFSET ?`).pluck().all(ctx.accountId, limit + 1, offset) as string[];
    return toPage(rows.map((r) => decode<DeviceCertificate>(r)), offset, limit);
  }

  async updateCertificate(ctx: IotContext, input: { certificateId: string; newStatus: CertificateStatus }): Promise<void> {
    if (!SETTABLE.includes(input.newStatus)) throw new IotError('InvalidRequestException', `newStatus must be one of ${SETTABLE.join(', ')}.`);
    this.d.tx(() => {
      const cert = this.get(ctx, input.certificateId);
      if (cert.status === 'REVOKED' && input.newStatus !== 'REVOKED') {
        throw new IotError('CertificateStateException', 'A revoked certificate cannot be activated or deactivated.');
      }
      const next = { ...cert, status: input.newStatus, lastModifiedDate: new Date() };
      this.d.q('UPDATE iot_certificates SET status = ?, data = ? WHERE certificate_id = ?').run(next.status, encode(next), cert.certificateId);
    });
    for (const l of this.statusListeners) l(input.certificateId, input.newStatus);
  }

  private readonly statusListeners: ((certificateId: string, status: CertificateStatus) => void)[] = [];
  /** The broker disconnects a device whose certificate stops being ACTIVE. */
  onStatusChange(listener: (certificateId: string, status: CertificateStatus) => void): void {
    this.statusListeners.push(listener);
  }

  async deleteCertificate(ctx: IotContext, input: { certificateId: string; forceDelete?: boolean }): Promise<void> {
    this.d.tx(() => {
      const cert = this.get(ctx, input.certificateId);
      if (cert.status === 'ACTIVE') throw new IotError('CertificateStateException', 'An ACTIVE certificate cannot be deleted; deactivate or revoke it first.');
      const attached = this.d.q('SELECT COUNT(*) FROM iot_principals WHERE certificate_id = ?').pluck().get(cert.certificateId) as number;
      if (attached > 0) throw new IotError('DeleteConflictException', `Certificate ${cert.certificateId} is attached to ${attached} thing(s).`);
      this.d.q('DELETE FROM iot_certificates WHERE certificate_id = ?').run(cert.certificateId);
    });
  }

  private certFromPrincipal(ctx: IotContext, principal: string): DeviceCertificate {
    const arn = parseIotArn(principal);
    if (!arn || arn.resource !== 'cert') throw new IotError('InvalidRequestException', 'principal must be a certificate ARN (arn:aws:iot:<region>:<account>:cert/<id>).');
    if (arn.accountId !== ctx.accountId) throw new IotError('ResourceNotFoundException', `Certificate ${arn.id} cannot be found.`);
    return this.get(ctx, arn.id);
  }

  async attachThingPrincipal(ctx: IotContext, input: { thingName: string; principal: string }): Promise<void> {
    this.d.tx(() => {
      this.things.requireThing(ctx, input.thingName);
      const cert = this.certFromPrincipal(ctx, input.principal);
      this.d.q('INSERT OR IGNORE INTO iot_principals (account_id, thing_name, certificate_id) VALUES (?, ?, ?)').run(ctx.accountId, input.thingName, cert.certificateId);
    });
  }

  async detachThingPrincipal(ctx: IotContext, input: { thingName: string; principal: string }): Promise<void> {
    this.d.tx(() => {
      this.things.requireThing(ctx, input.thingName);
      const cert = this.certFromPrincipal(ctx, input.principal);
      this.d.q('DELETE FROM iot_principals WHERE account_id = ? AND thing_name = ? AND certificate_id = ?').run(ctx.accountId, input.thingName, cert.certificateId);
    });
  }

  async listThingPrincipals(ctx: IotContext, input: { nextToken?: string; maxResults?: number; thingName: string }): Promise<Paged<string>> {
    const { offset, limit } = pageWindow(input);
    this.things.requireThing(ctx, input.thingName);
    const ids = this.d.q('SELECT certificate_id FROM iot_principals WHERE account_id = ? AND thing_name = ? ORDER BY certificate_id LIMIT ? OFFSET ?').pluck().all(ctx.accountId, input.thingName, limit + 1, offset) as string[];
    return toPage(ids.map((id) => iotArn(ctx, 'cert', id)), offset, limit);
  }

  async listPrincipalThings(ctx: IotContext, input: { nextToken?: string; maxResults?: number; principal: string }): Promise<Paged<string>> {
    const { offset, limit } = pageWindow(input);
    const cert = this.certFromPrincipal(ctx, input.principal);
    const names = this.d.q('SELECT thing_name FROM iot_principals WHERE certificate_id = ? ORDER BY thing_name LIMIT ? OFFSET ?').pluck().all(cert.certificateId, limit + 1, offset) as string[];
    return toPage(names, offset, limit);
  }

  deviceCaPem(): string {
    return this.deviceCa.certificatePem;
  }

  async authenticateDevice(certificateDer: Uint8Array) {
    const id = certificateIdOf(certificateDer);
    const row = this.d.q('SELECT account_id, status, data FROM iot_certificates WHERE certificate_id = ?').get(id) as { account_id: string; status: string; data: string } | undefined;
    if (!row || row.status !== 'ACTIVE') return undefined;
    const cert = decode<DeviceCertificate>(row.data);
    const now = Date.now();
    if (cert.validity.notBefore.getTime() > now || cert.validity.notAfter.getTime() < now) return undefined;
    const thingNames = this.d.q('SELECT thing_name FROM iot_principals WHERE certificate_id = ? ORDER BY thing_name').pluck().all(id) as string[];
    return { accountId: row.account_id, certificateId: id, thingNames };
  }
}
