/** Opens a data folder's state and accounts without a server (accounts and keys commands). */
import { join } from 'node:path';
import { Accounts, AccountsError, SecretBox } from '../../accounts/index.js';
import type { Config } from '../../config/index.js';
import { loadOrCreateMasterKey } from '../../keys/index.js';
import { SqliteStateStore, type StateStore } from '../../store/index.js';
import { CliFailure } from '../io.js';

/** Runs `fn` with the data folder's accounts, closing the store after; AccountsError becomes a CliFailure. */
export async function withAccounts<T>(config: Config, fn: (a: { accounts: Accounts; store: StateStore }) => Promise<T>): Promise<T> {
  const store = SqliteStateStore.open(join(config.dataDir, 'state.db'));
  try {
    const master = loadOrCreateMasterKey(config.dataDir);
    return await fn({ accounts: new Accounts(store, new SecretBox(master.bytes, 'access-keys')), store });
  } catch (e) {
    if (e instanceof AccountsError) throw new CliFailure(e.message);
    throw e;
  } finally {
    await store.close();
  }
}
