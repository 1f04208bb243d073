/** ARN shapes, kept exactly as AWS spells them so existing tools parse them. */

export function profileArn(region: string, accountId: string, profileName: string): string {
  return `arn:aws:signer:${region}:${accountId}:/signing-profiles/${profileName}`;
}

export function profileVersionArn(region: string, accountId: string, profileName: string, profileVersion: string): string {
  return `${profileArn(region, accountId, profileName)}/${profileVersion}`;
}

export function jobArn(region: string, accountId: string, jobId: string): string {
  return `arn:aws:signer:${region}:${accountId}:/signing-jobs/${jobId}`;
}

const PROFILE_ARN = /^arn:aws:signer:([a-z0-9-]+):(\d{12}):\/signing-profiles\/([a-zA-Z0-9_]{2,64})(?:\/([a-zA-Z0-9]{10}))?$/;
const JOB_ARN = /^arn:aws:signer:([a-z0-9-]+):(\d{12}):\/signing-jobs\/([0-9a-f-]{36})$/;

export interface ParsedProfileArn {
  region: string;
  accountId: string;
  profileName: string;
  profileVersion?: string;
}

/** Parses a profile (or profile version) ARN; undefined when it isn't one. */
export function parseProfileArn(arn: string): ParsedProfileArn | undefined {
  const m = PROFILE_ARN.exec(arn);
  if (!m) return undefined;
  return { region: m[1]!, accountId: m[2]!, profileName: m[3]!, ...(m[4] ? { profileVersion: m[4] } : {}) };
}

/** Parses a signing job ARN; undefined when it isn't one. */
export function parseJobArn(arn: string): { region: string; accountId: string; jobId: string } | undefined {
  const m = JOB_ARN.exec(arn);
  return m ? { region: m[1]!, accountId: m[2]!, jobId: m[3]! } : undefined;
}
