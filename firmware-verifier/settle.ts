import type { VerifyInfo, VerifyResult } from './result.types.js';
import { VerificationFailure } from './verification-failure.js';

/**
 * The one exit of every verification: the result starts invalid and only a run of `checks`
 * that returns normally turns it valid. Any exception, expected or not, leaves it invalid
 * (house rule 10; MCUboot `bootutil_img_validate` starts from failure the same way).
 */
export function settle(checks: () => VerifyInfo): VerifyResult {
  let result: VerifyResult = { ok: false, reason: 'InternalError', detail: 'verification did not complete' };
  try {
    result = { ok: true, info: checks() };
  } catch (error) {
    result =
      error instanceof VerificationFailure
        ? { ok: false, reason: error.reason, detail: error.detail }
        : { ok: false, reason: 'InternalError', detail: 'unexpected error' };
  }
  return result;
}
