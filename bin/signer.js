#!/usr/bin/env node
// Entry for the `signer` command, from any folder. Runs the compiled JavaScript in dist/ (built by
// `npm run build`, which `npm ci` / `npm install` run through `prepare`): no TypeScript compile at start.
// Without dist/ (e.g. installed with --ignore-scripts), or with SIGNER_FROM_SOURCE=1 while developing,
// it runs the TypeScript sources through tsx instead (slower start, always current).
import { existsSync } from 'node:fs';

const dist = new URL('../dist/src/cli/main.js', import.meta.url);
if (process.env.SIGNER_FROM_SOURCE !== '1' && existsSync(dist)) {
  await import(dist.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
