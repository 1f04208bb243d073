#!/usr/bin/env node
/**
 * `npm run build` (also run by `npm ci` / `npm install` through `prepare`): compiles src/, platforms/ and
 * firmware-verifier/ to JavaScript under dist/ (tsconfig.build.json) and copies the data files the code
 * reads at run time (the JSON files tsc does not emit), so `signer` and `npm start` run without tsx.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const pkg = createRequire(import.meta.url).resolve('typescript/package.json');
const bin = JSON.parse(readFileSync(pkg, 'utf8')).bin?.tsc ?? 'bin/tsc';
const r = spawnSync(process.execPath, [join(dirname(pkg), bin), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
if (r.status !== 0) process.exit(r.status ?? 1);

/** Every .json under the compiled roots that tsc did not emit. */
function copyJson(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) copyJson(path);
    else if (entry.name.endsWith('.json')) {
      const target = join(dist, relative(root, path));
      if (!existsSync(target) || statSync(target).size !== statSync(path).size) cpSync(path, target);
    }
  }
}
for (const d of ['src', 'platforms', 'firmware-verifier']) copyJson(join(root, d));
