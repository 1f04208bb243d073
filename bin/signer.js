#!/usr/bin/env node
// Entry for the `signer` command: registers tsx's loader (resolved from this package, not the caller's
// working directory) and runs the TypeScript CLI, so `signer` works from any folder.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
