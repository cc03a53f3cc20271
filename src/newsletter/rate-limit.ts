/**
 * Token buckets: one global, one per recipient domain. `reserve` says how long to wait before
 * a send may start (0: now) and takes the token; with a rate of 0 there is no limit.
 */
export class Bucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  reserve(): number {
    if (this.perSecond <= 0) return 0;
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.perSecond) * 1000);
  }

  /** Gives back a token taken by a send that will not happen now. */
  refund(): void {
    if (this.perSecond > 0) this.tokens = Math.min(this.burst, this.tokens + 1);
  }
}

export class SendRateLimiter {
  private readonly global: Bucket;
  private readonly domains = new Map<string, Bucket>();
  constructor(private readonly o: { globalPerSecond: number; perDomainPerSecond: number; perDomain?: Record<string, number> }) {
    this.global = new Bucket(o.globalPerSecond, Math.max(1, Math.ceil(o.globalPerSecond / 10)));
  }

  private domain(d: string): Bucket {
    let b = this.domains.get(d);
    if (!b) {
      const rate = this.o.perDomain?.[d] ?? this.o.perDomainPerSecond;
      b = new Bucket(rate, Math.max(1, Math.ceil(rate / 10)));
      this.domains.set(d, b);
      if (this.domains.size > 10_000) this.domains.delete(this.domains.keys().next().value!);
    }
    return b;
  }

  /** Milliseconds to wait before sending to `domain` (tokens taken from both buckets). */
  reserve(domain: string): number {
    const d = this.domain(domain).reserve();
    const g = this.global.reserve();
    return Math.max(d, g);
  }

  refund(domain: string): void {
    this.domain(domain).refund();
    this.global.refund();
  }
}
