/**
 * One timer for any number of agents: deadlines sit in a sorted list and a single host timer
 * wakes for the earliest. `manual` schedulers never touch the host clock; tests `advance` them,
 * so a 10 s request timeout or a 16 s self-test timer fires without waiting.
 */
export interface Scheduler {
  now(): number;
  /** Runs `fn` at `now() + ms`; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

class DeadlineList {
  private entries: Entry[] = [];
  private seq = 0;
  add(at: number, fn: () => void): Entry {
    const e = { at, seq: this.seq++, fn, cancelled: false };
    // Binary insertion keeps the list sorted by (at, seq).
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.entries[mid] as Entry;
      if (m.at < at || (m.at === at && m.seq < e.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.entries.splice(lo, 0, e);
    return e;
  }
  /** Removes and returns the due entries, earliest first. */
  due(now: number): Entry[] {
    let n = 0;
    while (n < this.entries.length && (this.entries[n] as Entry).at <= now) n++;
    return this.entries.splice(0, n).filter((e) => !e.cancelled);
  }
  next(): number | undefined {
    while (this.entries.length && (this.entries[0] as Entry).cancelled) this.entries.shift();
    return this.entries[0]?.at;
  }
  size(): number {
    return this.entries.length;
  }
}

/** A scheduler over the host clock with one `setTimeout` at a time for all agents. */
export function realScheduler(): Scheduler {
  const list = new DeadlineList();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = Infinity;
  const arm = () => {
    const at = list.next();
    if (at === undefined) return;
    if (timer && timerAt <= at) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(fire, Math.max(0, at - Date.now()));
    (timer as { unref?: () => void }).unref?.();
  };
  const fire = () => {
    timer = undefined;
    timerAt = Infinity;
    for (const e of list.due(Date.now())) e.fn();
    arm();
  };
  return {
    now: () => Date.now(),
    after(ms, fn) {
      const e = list.add(Date.now() + ms, fn);
      arm();
      return () => {
        e.cancelled = true;
      };
    },
  };
}

/** A scheduler whose time moves only with `advance` (tests, benchmarks with simulated time). */
export function manualScheduler(start = 0): Scheduler & { advance(ms: number): void; pending(): number } {
  const list = new DeadlineList();
  let t = start;
  return {
    now: () => t,
    after(ms, fn) {
      const e = list.add(t + ms, fn);
      return () => {
        e.cancelled = true;
      };
    },
    advance(ms) {
      const end = t + ms;
      for (;;) {
        const next = list.next();
        if (next === undefined || next > end) break;
        t = next;
        for (const e of list.due(t)) e.fn();
      }
      t = end;
    },
    pending: () => list.size(),
  };
}
