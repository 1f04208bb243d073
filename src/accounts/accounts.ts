import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CredentialRecord } from '../auth/index.js';
import type { AccessKeyRecord, StateStore } from '../store/index.js';
import type { SecretBox } from './secret-box.js';

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

/** Accounts (12-digit ids) and their access keys; secrets sealed at rest, cached opened in memory. */
export class Accounts {
  private readonly cache = new Map<string, CredentialRecord>();
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
    if (!(await this.store.getAccount(accountId))) throw new Error(`account ${accountId} does not exist`);
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

  /** SigV4 credential lookup: the opened secret of an active key. */
  lookup = async (accessKeyId: string): Promise<CredentialRecord | undefined> => {
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

  /** Deactivates a key; later requests signed with it are UnrecognizedClient. */
  async deactivateAccessKey(accessKeyId: string): Promise<void> {
    const k = await this.store.getAccessKey(accessKeyId);
    if (!k) throw new Error(`access key ${accessKeyId} does not exist`);
    await this.store.putAccessKey({ ...k, status: 'Inactive' });
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
