import type { Caller, SignerService } from '../signer/index.js';

type In = Record<string, unknown>;
/** One handler per operation: validated input in, model-shaped output (or nothing) out. */
export type Handler = (svc: SignerService, caller: Caller, input: In) => unknown;

// Inputs arrive validated against the model by the codec, so the casts below only name their shapes.
/* eslint-disable @typescript-eslint/no-explicit-any */
export const HANDLERS: Record<string, Handler> = {
  ListSigningPlatforms: (s, _c, i) => s.listPlatforms(i as any),
  GetSigningPlatform: (s, _c, i) => s.getPlatform(i as any),
  PutSigningProfile: (s, c, i) => s.profiles.put(c, i as any),
  GetSigningProfile: (s, c, i) => s.profiles.get(c, i as any),
  ListSigningProfiles: (s, c, i) => s.profiles.list(c, i as any),
  CancelSigningProfile: (s, c, i) => s.profiles.cancel(c, i as any),
  RevokeSigningProfile: (s, c, i) => s.profiles.revoke(c, i as any),
  AddProfilePermission: (s, c, i) => s.permissions.add(c, i as any),
  ListProfilePermissions: (s, c, i) => s.permissions.list(c, i as any),
  RemoveProfilePermission: (s, c, i) => s.permissions.remove(c, i as any),
  TagResource: (s, c, i) => s.tags.tag(c, i as any),
  UntagResource: (s, c, i) => s.tags.untag(c, i as any),
  ListTagsForResource: (s, c, i) => s.tags.list(c, i as any),
  StartSigningJob: (s, c, i) => s.jobs.start(c, i as any),
  SignPayload: (s, c, i) => s.jobs.signPayload(c, i as any),
  DescribeSigningJob: (s, c, i) => s.jobs.describe(c, i as any),
  ListSigningJobs: (s, c, i) => s.jobs.list(c, i as any),
  RevokeSignature: (s, c, i) => s.jobs.revoke(c, i as any),
  GetRevocationStatus: (s, c, i) => s.jobs.revocationStatus(c, i as any),
};
