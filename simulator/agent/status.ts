/**
 * The job status updates of the FreeRTOS v3 agent, byte for byte (ota_mqtt.c as compiled from
 * main): JSON with no spaces, `statusDetails` keys in the agent's order, and the reason strings
 * `rejected: 0x%08x`, `aborted: 0x%08x`, `0x%08x: 0x%08x`, `accepted  v%u.%u.%u`.
 */
import type { AppVersion } from './firmware-image.js';

const hex8 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const ver = (v: AppVersion) => `v${v.major}.${v.minor}.${v.build}`;

export type StatusUpdate = { payload: string; qos: 0 | 1 };

export const status = {
  receive: (received: number, total: number): StatusUpdate => ({ payload: `{"status":"IN_PROGRESS","statusDetails":{"receive":"${received}/${total}"}}`, qos: 0 }),
  selfTestReady: (running32: number): StatusUpdate => ({ payload: `{"status":"IN_PROGRESS","statusDetails":{"self_test":"ready","updatedBy":"${hex8(running32)}"}}`, qos: 1 }),
  selfTestActive: (running32: number): StatusUpdate => ({ payload: `{"status":"IN_PROGRESS","statusDetails":{"self_test":"active","updatedBy":"${hex8(running32)}"}}`, qos: 1 }),
  accepted: (subReason: AppVersion, updatedBy: AppVersion): StatusUpdate => ({ payload: `{"status":"SUCCEEDED","statusDetails":{"reason":"accepted  ${ver(subReason)}","updatedBy":"  ${ver(updatedBy)}"}}`, qos: 1 }),
  rejected: (err: number): StatusUpdate => ({ payload: `{"status":"FAILED","statusDetails":{"reason":"rejected: ${hex8(err)}"}}`, qos: 1 }),
  aborted: (err: number): StatusUpdate => ({ payload: `{"status":"FAILED","statusDetails":{"reason":"aborted: ${hex8(err)}"}}`, qos: 1 }),
  failedWithVal: (main: number, sub: number): StatusUpdate => ({ payload: `{"status":"FAILED","statusDetails":{"reason":"${hex8(main)}: ${hex8(sub)}"}}`, qos: 1 }),
};

/** PAL main codes (OtaPalMainStatus_t). */
export const PalErr = Object.freeze({ Uninitialized: 0xe0, SignatureCheckFailed: 0xe3, BadSignerCert: 0xe7 });
/** OtaErr_t values used as `rejected:`/`aborted:` sub-codes. */
export const AgentErr = Object.freeze({ None: 0, RequestFileBlockFailed: 0x08, InvalidDataProtocol: 0x0d, DowngradeNotAllowed: 0x0f, SameFirmwareVersion: 0x10, ImageStateMismatch: 0x11, UserAbort: 0x13 });
