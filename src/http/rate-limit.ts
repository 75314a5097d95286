/**
 * Per-token rate limits (a token bucket per access token, in this process). The defaults are far above what Entra
 * (25 requests/s per tenant) and Okta imports need; they exist so that one misbehaving client cannot starve the others.
 * With several instances each keeps its own buckets, so the effective limit is per instance.
 */
export interface RateLimit {
  /** Sustained requests per second per token; 0 turns limiting off. */
  perSecond: number;
  /** Requests a token may send at once before the sustained rate applies. */
  burst: number;
}

const MAX_BUCKETS = 50_000;

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly limit: RateLimit) {}

  /** Takes one request from `key`'s bucket: 0 when allowed, else the seconds to wait before retrying. */
  take(key: string, now = Date.now()): number {
    if (this.limit.perSecond <= 0) return 0;
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond);
    bucket.at = now;
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.perSecond));
  }
}
