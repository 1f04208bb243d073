/**
 * Waiting for something to happen, not for time to pass: `waitFor` re-checks a condition until it
 * holds and gives up only at a generous ceiling (a hang, not slowness, is what it catches), naming
 * what it waited for. Tests use it instead of fixed sleeps or "N tries of 50 ms" budgets.
 */
export const CEILING_MS = 150_000;

export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  opts: { ceilingMs?: number; pollMs?: number } = {},
): Promise<T> {
  const ceiling = opts.ceilingMs ?? CEILING_MS;
  const pollMs = opts.pollMs ?? 25;
  const giveUpAt = Date.now() + ceiling;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > giveUpAt) throw new Error(`gave up after ${ceiling / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
