/** The `signer` process: runs the command line and exits with its code (0 ok, 1 failure, 2 usage). */
import { processIo } from './io.js';
import { runCli } from './program.js';

let code: number;
try {
  code = await runCli(process.argv.slice(2), processIo());
} catch (e) {
  // Not a usage error nor a failure the command explained: say what it was (stack with SIGNER_LOG_LEVEL=debug).
  const err = e as Error;
  process.stderr.write(`signer: ${err?.name ?? 'Error'}: ${err?.message ?? String(e)}\n`);
  if (process.env.SIGNER_LOG_LEVEL === 'debug' && err?.stack) process.stderr.write(`${err.stack}\n`);
  code = 1;
}
// `serve` never resolves (its signal handlers exit). Others exit once stdout and stderr are flushed:
// pooled SDK sockets would otherwise keep the process alive.
process.exitCode = code;
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
