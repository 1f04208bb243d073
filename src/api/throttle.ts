/** A token bucket per (account, operation): `ratePerSecond` refill, `burst` capacity; rate 0 = off. */
export class Throttle {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one token; false when the bucket is empty (answer TooManyRequestsException). */
  take(accountId: string, operation: string): boolean {
    if (this.ratePerSecond <= 0) return true;
    const key = accountId + '\0' + operation;
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.ratePerSecond);
    b.at = t;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(key, b);
    return ok;
  }
}
