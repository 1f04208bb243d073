/**
 * AWS CLI smoke test: the `aws signer` commands a user types, against the real server, with
 * the credentials/config files the server writes into its data dir on first start. Runs once
 * per distinct `aws` on PATH (test/support/tools.ts): Debian's awscli v2, whose bundled model has 17 of
 * the 19 operations (no SignPayload / GetRevocationStatus), and any other (e.g. a pip-installed v1).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { awsCli, type AwsCliResult } from './support/aws-cli.js';
import { findToolsOnPath, needTool } from './support/tools.js';


function version(bin: string): string | undefined {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }).trim().split(' ')[0];
  } catch {
    return undefined;
  }
}

const pathAws = needTool('AWS CLI (signer commands)', 'aws');
const candidates = findToolsOnPath('aws');
/** [label, binary] for each CLI that runs, deduplicated by version. */
const clis: [string, string][] = [];
for (const bin of candidates) {
  const v = version(bin);
  if (v && !clis.some(([label]) => label === v)) clis.push([v, bin]);
}

let t: TestServer;
beforeAll(async () => {
  if (pathAws === undefined) return;
  t = await startTestServer();
});
afterAll(async () => t?.stop());

const aws = (bin: string, args: string[]): Promise<AwsCliResult> => awsCli(bin, t, ['signer', ...args]);

describe.skipIf(pathAws === undefined)('aws CLI against the server', () => {
  it('the server wrote the shared credentials and config files into its data dir', () => {
    expect(existsSync(join(t.dataDir, 'credentials'))).toBe(true);
    expect(existsSync(join(t.dataDir, 'config'))).toBe(true);
  });

  describe.each(clis)('aws-cli %s', (label, bin) => {
    const name = `cli_${label.replace(/[^0-9a-zA-Z]/g, '_')}`;
    let arn: string;

    it(`[ListSigningPlatforms] aws signer list-signing-platforms (${realpathSync(bin)})`, async () => {
      const r = await aws(bin, ['list-signing-platforms']);
      expect(r.code, r.stderr).toBe(0);
      const ids = (r.json.platforms as { platformId: string }[]).map((p) => p.platformId);
      expect(ids).toContain('AWSLambda-SHA384-ECDSA');
      expect(ids).toContain('AmazonFreeRTOS-Default');
    });

    it('[PutSigningProfile] aws signer put-signing-profile', async () => {
      const r = await aws(bin, ['put-signing-profile', '--profile-name', name, '--platform-id', 'AWSLambda-SHA384-ECDSA', '--signature-validity-period', 'value=6,type=MONTHS']);
      expect(r.code, r.stderr).toBe(0);
      arn = r.json.arn as string;
      expect(arn).toBe(`arn:aws:signer:${t.server.config.region}:${t.admin.accountId}:/signing-profiles/${name}`);
      expect(r.json.profileVersion).toMatch(/^[a-zA-Z0-9]{10}$/);
      expect(r.json.profileVersionArn).toBe(`${arn}/${String(r.json.profileVersion)}`);
    });

    it('[GetSigningProfile] aws signer get-signing-profile', async () => {
      const r = await aws(bin, ['get-signing-profile', '--profile-name', name]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json).toMatchObject({ profileName: name, status: 'Active', platformId: 'AWSLambda-SHA384-ECDSA', signatureValidityPeriod: { value: 6, type: 'MONTHS' }, arn });
    });

    it('[ListSigningProfiles] aws signer list-signing-profiles', async () => {
      const r = await aws(bin, ['list-signing-profiles']);
      expect(r.code, r.stderr).toBe(0);
      expect((r.json.profiles as { profileName: string }[]).map((p) => p.profileName)).toContain(name);
    });

    it('[AddProfilePermission] [ListProfilePermissions] aws signer add-profile-permission, list-profile-permissions', async () => {
      const add = await aws(bin, ['add-profile-permission', '--profile-name', name, '--action', 'signer:GetSigningProfile', '--principal', '111122223333', '--statement-id', 'cli_read']);
      expect(add.code, add.stderr).toBe(0);
      expect(add.json.revisionId).toEqual(expect.any(String));
      const list = await aws(bin, ['list-profile-permissions', '--profile-name', name]);
      expect(list.code, list.stderr).toBe(0);
      expect(list.json.revisionId).toBe(add.json.revisionId);
      expect(list.json.permissions).toEqual([{ action: 'signer:GetSigningProfile', principal: '111122223333', statementId: 'cli_read' }]);
      expect(list.json.policySizeBytes).toEqual(expect.any(Number));
    });

    it('[TagResource] [ListTagsForResource] [UntagResource] aws signer tag-resource, list-tags-for-resource, untag-resource', async () => {
      const tag = await aws(bin, ['tag-resource', '--resource-arn', arn, '--tags', 'team=fw,cost:center=42']);
      expect(tag.code, tag.stderr).toBe(0);
      const list = await aws(bin, ['list-tags-for-resource', '--resource-arn', arn]);
      expect(list.code, list.stderr).toBe(0);
      expect(list.json.tags).toEqual({ team: 'fw', 'cost:center': '42' });
      const untag = await aws(bin, ['untag-resource', '--resource-arn', arn, '--tag-keys', 'team']);
      expect(untag.code, untag.stderr).toBe(0);
      expect((await aws(bin, ['list-tags-for-resource', '--resource-arn', arn])).json.tags).toEqual({ 'cost:center': '42' });
    });

    it('[CancelSigningProfile] aws signer cancel-signing-profile', async () => {
      const r = await aws(bin, ['cancel-signing-profile', '--profile-name', name]);
      expect(r.code, r.stderr).toBe(0);
      expect((await aws(bin, ['get-signing-profile', '--profile-name', name])).json.status).toBe('Canceled');
    });

    it('[GetSigningProfile] a missing profile exits non-zero (254 v2 / 255 v1) with ResourceNotFoundException on stderr', async () => {
      const r = await aws(bin, ['get-signing-profile', '--profile-name', 'does_not_exist']);
      expect(r.code).toBe(label.startsWith('aws-cli/1.') ? 255 : 254);
      expect(r.stderr).toMatch(/ResourceNotFoundException/);
      expect(r.stderr).toMatch(/does_not_exist does not exist/);
    });
  });
});
