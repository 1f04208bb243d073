/**
 * Every command group of `signer`, in help order: the one place a new group is registered
 * (docs/cli.md, "Adding a command").
 */
import type { CommandGroup } from '../command-group.types.js';
import { accounts, keys } from './accounts.js';
import { audit } from './audit.js';
import { certificates } from './certificates.js';
import { ota } from './ota.js';
import { platforms } from './platforms.js';
import { serve } from './serve.js';
import { flash, simulate } from './flash.js';
import { sign } from './sign.js';
import { things } from './things.js';
import { verify } from './verify.js';

export const COMMAND_GROUPS: readonly CommandGroup[] = [serve, sign, verify, flash, simulate, platforms, certificates, things, ota, accounts, keys, audit];
