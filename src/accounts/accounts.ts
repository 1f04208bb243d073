import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CredentialRecord } from '../auth/index.js';
import type { AccessKeyRecord, StateStore } from '../store/index.js';
import type { SecretBox } from './secret-box.js';

/** A request about accounts or keys that cannot be done (unknown id, key still active). */
export class AccountsError extends Error {
  override readonly name = 'AccountsError';
}

/** A freshly created access key: the only time its secret is shown. */
export interface NewAccessKey {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  principalArn: string;
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function newAccessKeyId(): string {
  let s = 'AKIA';
  for (let i = 0; i < 16; i++) s += KEY_ALPHABET[randomInt(KEY_ALPHABET.length)];
  return s;
}

function newAccountId(): string {
  let s = String(randomInt(1, 10));
  for (let i = 0; i < 11; i++) s += String(randomInt(10));
  return s;
}

/**
 * Accounts (12-digit ids) and their access keys; secrets sealed at rest, opened ones cached in memory.
 *
 * The cache is emptied whenever an access key changes (the store's access-key version counter,
 * bumped by every update or delete from any process and read on every lookup: one indexed row), so a
 * key that `signer keys deactivate|delete` changes is refused on the next request to a running server.
 */
export class Accounts {
  private readonly cache = new Map<string, CredentialRecord>();
  private cacheVersion: number | undefined;
  constructor(
    private readonly store: StateStore,
    private readonly box: SecretBox,
  ) {}

  async createAccount(name: string, accountId: string = newAccountId()): Promise<string> {
    if (!/^\d{12}$/.test(accountId)) throw new Error('an account id has 12 digits');
    await this.store.createAccount({ accountId, name, createdAt: new Date() });
    return accountId;
  }

  /** Creates an access key for the account's root principal (or a named user). */
  async createAccessKey(accountId: string, userName?: string): Promise<NewAccessKey> {
    if (!(await this.store.getAccount(accountId))) throw new AccountsError(`account ${accountId} does not exist`);
    const accessKeyId = newAccessKeyId();
    const secretAccessKey = randomBytes(30).toString('base64').replace(/[+/]/g, (c) => (c === '+' ? 'A' : 'z'));
    const principalArn = userName ? `arn:aws:iam::${accountId}:user/${userName}` : `arn:aws:iam::${accountId}:root`;
    const record: AccessKeyRecord = {
      accessKeyId,
      accountId,
      principalArn,
      status: 'Active',
      createdAt: new Date(),
      secretSealed: this.box.seal(secretAccessKey, accessKeyId),
    };
    await this.store.putAccessKey(record);
    return { accountId, accessKeyId, secretAccessKey, principalArn };
  }

  /** SigV4 credential lookup: the opened secret of a key that is Active now. */
  lookup = async (accessKeyId: string): Promise<CredentialRecord | undefined> => {
    const version = this.store.accessKeysVersion();
    if (version !== this.cacheVersion) {
      this.cache.clear();
      this.cacheVersion = version;
    }
    const hit = this.cache.get(accessKeyId);
    if (hit) return hit;
    const k = await this.store.getAccessKey(accessKeyId);
    if (!k || k.status !== 'Active') return undefined;
    const cred: CredentialRecord = {
      accessKeyId,
      accountId: k.accountId,
      principalArn: k.principalArn,
      secretAccessKey: this.box.open(k.secretSealed, accessKeyId),
    };
    this.cache.set(accessKeyId, cred);
    return cred;
  };

  /** The keys of an account (or of every account), without secrets. */
  async listAccessKeys(accountId?: string): Promise<Omit<AccessKeyRecord, 'secretSealed'>[]> {
    const ids = accountId === undefined ? (await this.store.listAccounts()).map((a) => a.accountId) : [accountId];
    if (accountId !== undefined && !(await this.store.getAccount(accountId))) throw new AccountsError(`account ${accountId} does not exist`);
    const out: Omit<AccessKeyRecord, 'secretSealed'>[] = [];
    for (const id of ids) for (const { secretSealed: _s, ...k } of await this.store.listAccessKeys(id)) out.push(k);
    return out;
  }

  /** Deactivates a key; the next request signed with it is refused (UnrecognizedClient / InvalidClientTokenId). */
  async deactivateAccessKey(accessKeyId: string): Promise<void> {
    const k = await this.store.getAccessKey(accessKeyId);
    if (!k) throw new AccountsError(`access key ${accessKeyId} does not exist`);
    await this.store.putAccessKey({ ...k, status: 'Inactive' });
    this.cache.delete(accessKeyId);
  }

  /** Deletes a key for good. An Active key needs `force` (deactivate first, so whatever still uses it shows up). */
  async deleteAccessKey(accessKeyId: string, opts: { force?: boolean } = {}): Promise<void> {
    const k = await this.store.getAccessKey(accessKeyId);
    if (!k) throw new AccountsError(`access key ${accessKeyId} does not exist`);
    if (k.status === 'Active' && !opts.force) throw new AccountsError(`access key ${accessKeyId} is Active: deactivate it first ('signer keys deactivate ${accessKeyId}') or pass --force`);
    await this.store.deleteAccessKey(accessKeyId);
    this.cache.delete(accessKeyId);
  }

  /**
   * First start: creates the admin account and key and writes `<dataDir>/credentials` and
   * `<dataDir>/config` (AWS CLI formats, mode 0600). Later starts: rewrites the files from the
   * sealed admin key if they were deleted. Returns the admin account id.
   */
  async bootstrap(dataDir: string, region: string): Promise<{ accountId: string; created: boolean }> {
    const accounts = await this.store.listAccounts();
    let admin: { accountId: string; accessKeyId: string; secretAccessKey: string } | undefined;
    let created = false;
    if (accounts.length === 0) {
      const accountId = await this.createAccount('admin');
      admin = await this.createAccessKey(accountId);
      created = true;
    } else if (!existsSync(join(dataDir, 'credentials'))) {
      // The admin account is the one bootstrap created (named 'admin'), not whichever id sorts first.
      const first = accounts.find((a) => a.name === 'admin') ?? accounts[0]!;
      const key = (await this.store.listAccessKeys(first.accountId)).find((k) => k.status === 'Active');
      if (key) admin = { accountId: first.accountId, accessKeyId: key.accessKeyId, secretAccessKey: this.box.open(key.secretSealed, key.accessKeyId) };
    }
    if (admin) writeCliFiles(dataDir, region, admin);
    return { accountId: admin?.accountId ?? (accounts.find((a) => a.name === 'admin') ?? accounts[0]!).accountId, created };
  }
}

/** Replaces (or adds) one `[section]` of an INI file, keeping the others. */
function upsertSection(file: string, section: string, body: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const kept: string[] = [];
  let skipping = false;
  for (const line of text.split('\n')) {
    const m = /^\[(.+)\]\s*$/.exec(line);
    if (m) skipping = m[1] === section;
    if (!skipping && line.trim() !== '') kept.push(line);
  }
  kept.push(`[${section}]`, ...body.trim().split('\n'));
  writeFileSync(file, kept.join('\n') + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Writes one key into the AWS CLI shared-credentials and config files (other profiles are kept). */
export function writeCliFiles(dataDir: string, region: string, key: { accessKeyId: string; secretAccessKey: string }, profile = 'default'): void {
  mkdirSync(dataDir, { recursive: true });
  upsertSection(join(dataDir, 'credentials'), profile, `aws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}`);
  upsertSection(join(dataDir, 'config'), profile === 'default' ? 'default' : `profile ${profile}`, `region = ${region}\noutput = json\ns3 =\n    addressing_style = path`);
}
