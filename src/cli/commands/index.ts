/**
 * Every command group of `signer`, in help order: the one place a new group is registered
 * (docs/cli.md, "Adding a command").
 */
import type { CommandGroup } from '../command-group.types.js';
import { accounts, keys } from './accounts.js';
import { audit } from './audit.js';
import { certificates } from './certificates.js';
import { platforms } from './platforms.js';
import { serve } from './serve.js';
import { sign } from './sign.js';
import { verify } from './verify.js';

export const COMMAND_GROUPS: readonly CommandGroup[] = [serve, sign, verify, platforms, certificates, accounts, keys, audit];
