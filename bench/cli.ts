/**
 * bench/cli — start-up cost of the shipped `signer` command (bin/signer.js → dist/) against a bare
 * `node -e 0`, measured in the same run: `signer --help` (target ≤ 2×) and `signer verify` of a small
 * MCUboot image (firmware-verifier loaded, one verification).
 *
 * Each case is a fresh process, run RUNS times interleaved with the baseline; medians of wall time and of
 * the child's own CPU time (user + system, from process.resourceUsage() at exit, so machine load shows
 * less than in wall time). Builds dist/ first when it is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { report } from './measure.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 11);
const BIN = join(ROOT, 'bin/signer.js');
const V = join(ROOT, 'test/vectors/bootloaders/mcuboot');

if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) {
  const b = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
  if (b.status !== 0) throw new Error('npm run build failed');
}

const tmp = mkdtempSync(join(tmpdir(), 'bench-cli-'));
const hook = join(tmp, 'usage.mjs');
writeFileSync(hook, `import { writeSync } from 'node:fs';\nprocess.on('exit', () => { const u = process.resourceUsage(); writeSync(3, JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 })); });\n`);

interface Sample {
  wallMs: number;
  cpuMs: number;
}

function once(args: string[], expectCode: number, env: Record<string, string> = {}): Sample {
  const start = performance.now();
  const r = spawnSync(process.execPath, ['--import', hook, ...args], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } });
  const wallMs = performance.now() - start;
  if (r.status !== expectCode) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr?.toString()}`);
  const cpuMs = (JSON.parse(r.output[3]!.toString()) as { cpuMs: number }).cpuMs;
  return { wallMs, cpuMs };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const cases: Record<string, { args: string[]; code: number; env?: Record<string, string> }> = {
  'node -e 0': { args: ['-e', '0'], code: 0 },
  'signer --help': { args: [BIN, '--help'], code: 0 },
  'signer verify (mcuboot, small image)': {
    args: [BIN, 'verify', '--format', 'mcuboot', '--key', join(V, 'keys/root-ec-p256.pem'), join(V, 'images/ecdsa-p256.signed.bin')],
    code: 0,
  },
  // For comparison: the same command from the TypeScript sources through tsx (the development path).
  'signer --help from source (tsx)': { args: [BIN, '--help'], code: 0, env: { SIGNER_FROM_SOURCE: '1' } },
};
const samples = new Map<string, Sample[]>(Object.keys(cases).map((k) => [k, []]));
try {
  for (const c of Object.values(cases)) once(c.args, c.code, c.env); // warm the file cache
  for (let i = 0; i < RUNS; i++) for (const [name, c] of Object.entries(cases)) samples.get(name)!.push(once(c.args, c.code, c.env));
  const base = samples.get('node -e 0')!;
  const baseWall = median(base.map((s) => s.wallMs));
  const baseCpu = median(base.map((s) => s.cpuMs));
  report('bench/cli baseline node -e 0', { runs: RUNS, wallMs: baseWall, cpuMs: baseCpu });
  for (const [name, s] of samples) {
    if (name === 'node -e 0') continue;
    const wall = median(s.map((x) => x.wallMs));
    const cpu = median(s.map((x) => x.cpuMs));
    report(`bench/cli ${name}`, { wallMs: wall, cpuMs: cpu, wallRatio: wall / baseWall, cpuRatio: cpu / baseCpu });
  }
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  report('bench/cli notes', { signer: version.version, node: process.version, target: '--help ≤ 2× node -e 0' });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
