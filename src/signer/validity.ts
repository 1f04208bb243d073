import type { ValidityType } from '../store/index.js';
import { SignerError } from './signer-error.js';

/** AWS's default and maximum signature validity: 135 months. */
export const DEFAULT_VALIDITY = Object.freeze({ value: 135, type: 'MONTHS' as ValidityType });
const MAX_MONTHS = 135;

function months(v: { value: number; type: ValidityType }): number {
  return v.type === 'YEARS' ? v.value * 12 : v.type === 'MONTHS' ? v.value : v.value / 30.4375;
}

/** Checks a validity period: positive, whole, at most 135 months. */
export function checkValidity(v: { value?: number; type?: string } | undefined): { value: number; type: ValidityType } {
  if (v === undefined) return { ...DEFAULT_VALIDITY };
  if (v.value === undefined || v.type === undefined) {
    throw new SignerError('ValidationException', 'signatureValidityPeriod requires both value and type.');
  }
  const type = v.type as ValidityType;
  if (!Number.isInteger(v.value) || v.value < 1) {
    throw new SignerError('ValidationException', 'signatureValidityPeriod.value must be a positive integer.');
  }
  if (months({ value: v.value, type }) > MAX_MONTHS) {
    throw new SignerError('ValidationException', `signatureValidityPeriod must not exceed ${MAX_MONTHS} months.`);
  }
  return { value: v.value, type };
}

/** When a signature made at `from` expires under `v`. */
export function expiryOf(from: Date, v: { value: number; type: ValidityType }): Date {
  const d = new Date(from.getTime());
  if (v.type === 'DAYS') d.setUTCDate(d.getUTCDate() + v.value);
  else if (v.type === 'MONTHS') d.setUTCMonth(d.getUTCMonth() + v.value);
  else d.setUTCFullYear(d.getUTCFullYear() + v.value);
  return d;
}
