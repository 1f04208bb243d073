/**
 * Keys for principals other than an account's root, for permission tests: the server only
 * issues root and user keys, so a role session is simulated by re-labelling a fresh key's
 * principal ARN in the store before its first use (the SigV4 lookup reads it from there).
 */
import { signerClient, type TestAccount, type TestServer } from './server.js';

export async function keyForPrincipal(t: TestServer, accountId: string, principalArn: string): Promise<TestAccount> {
  const key = await t.server.accounts.createAccessKey(accountId);
  const record = await t.server.store.getAccessKey(key.accessKeyId);
  if (!record) throw new Error('the new access key is not in the store');
  await t.server.store.putAccessKey({ ...record, principalArn });
  return {
    accountId,
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
    client: signerClient(t.url, key.accessKeyId, key.secretAccessKey, t.server.config.region),
  };
}
