/**
 * The keys capability: certificates and private keys (managed like ACM imports), key
 * backends, the ACM-compatible service layer, and the TEST ONLY development CA.
 *
 * The PKCS#11 backend is exported from here but loads `pkcs11js` only when created.
 */
export { KeysError, KEYS_ERRORS, isKeysError, type KeysErrorCode, type KeysErrorInfo } from './errors.js';
export type { KeyBackend, KeyBackendKind, KeyRef, SignDigestOptions, HashAlgorithm, KeyType, SigningKey } from './key-backend.types.js';
export { toSigningKey } from './signing-key.js';
export {
  createEncryptedFileBackend,
  type EncryptedFileBackend,
  type EncryptedFileBackendOptions,
} from './encrypted-file-backend.js';
export {
  generateMasterKey,
  loadOrCreateMasterKey,
  masterKeyFromBytes,
  MASTER_KEY_FILE,
  type MasterKey,
} from './master-key.js';
export { createPkcs11Backend, type Pkcs11BackendOptions } from './pkcs11/index.js';
export type {
  CertificateKind,
  CertificateRecord,
  CertificateReplacement,
  CertificateRepository,
  Tag,
  WrappedKeyRecord,
  WrappedKeyRepository,
} from './repository.types.js';
export { createSqliteKeysStore, KEYS_MIGRATIONS, type SqliteKeysStore } from './sqlite-keys-store.js';
export {
  certificateArn,
  createCertificateManager,
  parseCertificateArn,
  type CertificateManager,
  type CertificateManagerDeps,
  type CertificateOwner,
  type CertificateView,
  type ImportCertificateInput,
  type IssueServerKeyInput,
} from './certificate-manager.js';
export { INVALID_EKU_MESSAGE, type CertificateFacts } from './certificate-checks.js';
export {
  ACM_OPERATIONS,
  acmAuditParameters,
  createAcmService,
  type AcmCaller,
  type AcmHandler,
  type AcmOperation,
  type AcmServiceDeps,
} from './acm-service.js';
export {
  createTestCa,
  issueCodeSigningCertificate,
  loadTestCa,
  TEST_CA_FILES,
  TEST_ONLY_MARKER,
  type IssuedTestCertificate,
  type TestCa,
} from './test-ca.js';
export { loadOrCreateLocalCa, OID_CLIENT_AUTH, OID_SERVER_AUTH, readSealedKey, writeSealedKey, type KeySealer, type LocalCa } from './local-ca.js';
