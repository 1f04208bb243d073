/**
 * The documentation is a test: the fenced `sh` blocks of README.md and docs/operations.md run, as
 * written and in order, against a fresh server on a fresh data folder, in one shell session per
 * document (so `export` and `VAR=$(…)` carry over). Only placeholders are substituted: the
 * `<… printed/listed above>` values, the default ports (the test server binds free ones). A block
 * preceded by `<!-- readme-test: skip (why) -->` is not run.
 *
 * `npx signer` resolves to this package (the shell runs in a folder inside the repository, offline,
 * from the TypeScript sources so the test checks the code under test); `aws` is the AWS CLI on PATH.
 */
import '../src/sdk/quiet-node-warning.js';
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { needTool } from './support/tools.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The AWS CLI on PATH (CI installs Debian's awscli): the shared finder skips with a summary line, or fails under CI. */
const AWS = needTool('README walkthrough (AWS CLI)', 'aws');

export interface Step {
  /** The command as written (continuation lines joined). */
  command: string;
  /** 1-based line in the document. */
  line: number;
}

/** The commands of the runnable `sh` blocks of a Markdown document, in order. */
export function shellSteps(markdown: string): Step[] {
  const lines = markdown.split('\n');
  const steps: Step[] = [];
  let inBlock = false;
  let run = false;
  let pending: { text: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!inBlock && /^```/.test(line)) {
      inBlock = true;
      const skipped = /<!--\s*readme-test:\s*skip\b/.test(lines[i - 1] ?? '');
      run = /^```(sh|bash|shell)\s*$/.test(line) && !skipped;
      continue;
    }
    if (inBlock && /^```\s*$/.test(line)) {
      inBlock = false;
      continue;
    }
    if (!inBlock || !run) continue;
    const text = pending ? `${pending.text}\n${line}` : line;
    if (/\\\s*$/.test(line)) {
      pending = { text, line: pending?.line ?? i + 1 };
      continue;
    }
    const start = pending?.line ?? i + 1;
    pending = undefined;
    if (text.trim() === '' || /^\s*#/.test(text)) continue;
    steps.push({ command: text, line: start });
  }
  return steps;
}

/** One interactive bash per document: a step's output goes to files, its status comes back on a marker line. */
class Shell {
  private readonly proc: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiter: ((code: number) => void) | undefined;
  private n = 0;
  constructor(
    private readonly cwd: string,
    env: Record<string, string>,
  ) {
    this.proc = spawn('bash', ['--noprofile', '--norc'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d: Buffer) => {
      this.buffer += d.toString();
      const m = /__STEP_DONE__ (\d+)\n/.exec(this.buffer);
      if (m && this.waiter) {
        this.buffer = this.buffer.slice(m.index + m[0].length);
        const w = this.waiter;
        this.waiter = undefined;
        w(Number(m[1]));
      }
    });
  }

  run(command: string): Promise<{ code: number; out: string; err: string }> {
    const i = ++this.n;
    const out = join(this.cwd, `.step-${i}.out`);
    const err = join(this.cwd, `.step-${i}.err`);
    return new Promise((resolve) => {
      this.waiter = (code) => resolve({ code, out: readFileSync(out, 'utf8'), err: readFileSync(err, 'utf8') });
      this.proc.stdin.write(`{\n${command}\n} >${out} 2>${err} </dev/null; echo "__STEP_DONE__ $?"\n`);
    });
  }

  close(): void {
    this.proc.stdin.end();
    this.proc.kill();
  }
}

const servers: TestServer[] = [];
const folders: string[] = [];
afterAll(async () => {
  for (const t of servers) await t.stop();
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

/** What each kind of step must print, beyond exit status 0. */
function expectations(command: string): RegExp[] {
  if (/signer list-signing-platforms --query/.test(command)) return [/AWS/];
  if (/signer list-signing-platforms/.test(command)) return [/AmazonFreeRTOS-Default/, /AWSLambda-SHA384-ECDSA/];
  if (/put-signing-profile/.test(command)) return [/"profileVersionArn": "arn:aws:signer:/];
  if (/certificates import/.test(command)) return [/^arn:aws:acm:/];
  if (/signer sign /.test(command)) return [/\.signed\n$/];
  if (/signer verify /.test(command)) return [/^OK freertos digest=[0-9a-f]{64} /];
  if (/create-test-ca/.test(command)) return [/TEST ONLY CA written: ca\/test-ca\.cert\.pem/];
  if (/certificates issue/.test(command)) return [/TEST ONLY code-signing certificate: ca\/[a-z-]+\.cert\.pem/];
  if (/keys create/.test(command)) return [/"accessKeyId": "AKIA/];
  if (/keys deactivate/.test(command)) return [/deactivated/];
  if (/keys delete/.test(command)) return [/deleted/];
  if (/keys list/.test(command)) return [/^ACCESS KEY +ACCOUNT +STATUS/];
  return [];
}

async function runDocument(doc: string): Promise<void> {
  const steps = shellSteps(readFileSync(join(ROOT, doc), 'utf8'));
  expect(steps.length, `${doc} has runnable sh blocks`).toBeGreaterThan(0);
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  const cwd = mkdtempSync(join(ROOT, '.tmp', 'readme-'));
  folders.push(cwd);
  const t = await startTestServer({ dataDir: join(cwd, 'data') });
  servers.push(t);
  const binDir = join(cwd, '.bin');
  mkdirSync(binDir);
  execFileSync('ln', ['-s', AWS!, join(binDir, 'aws')]);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_') && !k.startsWith('SIGNER_')) env[k] = v;
  Object.assign(env, {
    PATH: `${binDir}:${process.env.PATH}`,
    SIGNER_FROM_SOURCE: '1',
    NPM_CONFIG_OFFLINE: 'true',
    NO_COLOR: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    HOME: cwd,
  });
  const shell = new Shell(cwd, env);
  const placeholders: Record<string, () => string> = {
    '<the ARN printed above>': () => lastArn,
    '<the account id listed above>': () => t.admin.accountId,
    '<the old access key id listed above>': () => t.admin.accessKeyId,
  };
  let lastArn = '';
  const deleted: string[] = [];
  try {
    for (const step of steps) {
      let command = step.command.replaceAll('http://127.0.0.1:8080', t.url).replaceAll('http://127.0.0.1:9000', t.server.s3Url);
      for (const [p, value] of Object.entries(placeholders)) if (command.includes(p)) command = command.replaceAll(p, value());
      const left = /<[a-z][^>]*>/i.exec(command.replace(/<\/dev\/\w+/g, ''));
      expect(left, `${doc}:${step.line} has an unknown placeholder`).toBeNull();
      if (process.env.README_TEST_TRACE) process.stderr.write(`[readme] ${doc}:${step.line} $ ${command}\n`);
      const r = await shell.run(command);
      const where = `${doc}:${step.line}: ${step.command}\n--- stdout\n${r.out}--- stderr\n${r.err}`;
      expect(r.code, where).toBe(0);
      for (const re of expectations(command)) expect(r.out, where).toMatch(new RegExp(re.source, re.flags.includes('m') ? re.flags : `${re.flags}m`));
      if (/keys delete (\S+)/.test(command)) deleted.push(/keys delete (\S+)/.exec(command)![1]!);
      if (/keys list/.test(command)) for (const k of deleted) expect(r.out, where).not.toContain(k);
      const arn = /arn:aws:acm:[^\s"]+/.exec(r.out);
      if (arn) lastArn = arn[0];
    }
  } finally {
    shell.close();
  }
}

describe.skipIf(AWS === undefined)('the documentation runs as written', () => {
  it('README.md: quick start and sign-and-verify walkthrough', async () => {
    await runDocument('README.md');
  }, 600_000);

  it('docs/operations.md: the AWS CLI + S3 walkthrough and the key rotation recipe', async () => {
    await runDocument('docs/operations.md');
  }, 600_000);
});

describe('shellSteps', () => {
  it('joins continuation lines, drops comments, honours the skip marker and other languages', () => {
    const md = ['```sh', 'a \\', '  b', '# c', 'd', '```', '<!-- readme-test: skip (x) -->', '```sh', 'e', '```', '```ts', 'f', '```'].join('\n');
    expect(shellSteps(md)).toEqual([
      { command: 'a \\\n  b', line: 2 },
      { command: 'd', line: 5 },
    ]);
  });
});
