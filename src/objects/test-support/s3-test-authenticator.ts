/**
 * Test wiring of the embedded endpoint's authentication: an {@link S3Authenticator}
 * on top of the project's SigV4 verifier (`src/auth`, service `s3`), with a fixed
 * set of test-only credentials. The server wires the same adapter with its real accounts.
 *
 * @packageDocumentation
 */
import type { CredentialRecord } from '../../auth/index.js';
import type { S3Authenticator } from '../http/auth.types.js';
import { createSigV4Authenticator } from '../http/sigv4-authenticator.js';

export { AUTH_ERROR_TO_S3 } from '../http/sigv4-authenticator.js';

/** A credential for tests. TEST-ONLY secrets; never use outside tests. */
export interface TestCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly accountId: string;
}

/** Two accounts, so tests can check that buckets are private to their creator. TEST-ONLY. */
export const TEST_CREDENTIALS = {
  alice: { accessKeyId: 'AKIATESTALICE0000001', secretAccessKey: 'test-only-alice-secret-key-0000000000000', accountId: '111111111111' },
  bob: { accessKeyId: 'AKIATESTBOB000000002', secretAccessKey: 'test-only-bob-secret-key-00000000000000', accountId: '222222222222' },
} as const satisfies Record<string, TestCredential>;

/** Builds an authenticator that knows `credentials`, for region `region`. */
export function createTestAuthenticator(
  credentials: readonly TestCredential[] = Object.values(TEST_CREDENTIALS),
  region = 'us-east-1',
): S3Authenticator {
  const byId = new Map<string, CredentialRecord>(
    credentials.map((c) => [c.accessKeyId, { ...c, principalArn: `arn:aws:iam::${c.accountId}:root` }]),
  );
  return createSigV4Authenticator({ region, lookup: (id) => byId.get(id) });
}
