/** Closed-loop load: `concurrency` callers repeat `op` for `seconds`; returns completed ops per second. */
export async function rate(op: () => Promise<unknown>, opts: { seconds: number; concurrency: number; warmupSeconds?: number }): Promise<number> {
  const run = async (seconds: number) => {
    const end = performance.now() + seconds * 1000;
    let done = 0;
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (performance.now() < end) {
          await op();
          done++;
        }
      }),
    );
    return done / seconds;
  };
  if (opts.warmupSeconds) await run(opts.warmupSeconds);
  return run(opts.seconds);
}

/** Prints one result line and returns it for a summary. */
export function report(name: string, fields: Record<string, number | string>): string {
  const line = `${name}: ` + Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(3)) : v}`).join(' ');
  console.log(line);
  return line;
}
