/** `npm run bench`: runs every benchmark in bench/ (one process each, one after another). */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NODE_VERSION_WARNING_VARIABLE } from '../src/sdk/quiet-node-warning.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'measure.ts'].includes(f) && !f.endsWith('.types.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)));
let failed = 0;
for (const f of benches) {
  console.log(`\n== ${f}`);
  // The AWS SDK's Node-version warning is noise in every benchmark that builds a client (src/sdk/quiet-node-warning.ts).
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${f}`], { stdio: 'inherit', env: { ...process.env, [NODE_VERSION_WARNING_VARIABLE]: 'true' } });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
