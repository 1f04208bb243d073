/** Accounts and access keys (the server's IAM-like principals). */
export { Accounts, AccountsError, writeCliFiles, type NewAccessKey } from './accounts.js';
export { SecretBox, deriveKey } from './secret-box.js';
