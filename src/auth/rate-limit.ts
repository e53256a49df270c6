// Token buckets keyed by client (key id, or address when there is no key), held in a bounded
// LRU: the least recently seen client is forgotten first, so memory stays flat whatever number
// of addresses or keys a flood uses (a forgotten client starts again with a full bucket).
// Hand-written: a Map in insertion order is the whole LRU, and no library for Workers does less.

export interface Rate {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size: how many requests may come at once after a quiet spell. */
  burst: number;
}

interface Bucket {
  tokens: number;
  t: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  private refill(key: string, rate: Rate): Bucket {
    const t = this.now();
    let b = this.buckets.get(key);
    if (b) {
      this.buckets.delete(key); // re-inserted below: most recently used last
      b.tokens = Math.min(rate.burst, b.tokens + ((t - b.t) / 1000) * rate.perSecond);
      b.t = t;
    } else {
      b = { tokens: rate.burst, t };
      if (this.buckets.size >= this.maxEntries) this.buckets.delete(this.buckets.keys().next().value as string);
    }
    this.buckets.set(key, b);
    return b;
  }

  /** Takes a token: 0 when allowed, else the seconds until one is there (for Retry-After). */
  take(key: string, rate: Rate): number {
    const b = this.refill(key, rate);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / rate.perSecond));
  }

  /** Gives back a token taken by take() (the request turned out not to count). */
  refund(key: string, rate: Rate): void {
    const b = this.buckets.get(key);
    if (b) b.tokens = Math.min(rate.burst, b.tokens + 1);
  }
}
