/**
 * Token buckets: one global, one per recipient domain. `reserve` says how long to wait before
 * a send may start (0: now) and takes the token; with a rate of 0 there is no limit.
 */
export class Bucket {
  private tokens: number;
  private last: number;
  constructor(
    private perSecond: number,
    private burst: number,
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

  /** A new rate from now on; tokens already earned stay, up to the new burst. */
  setRate(perSecond: number, burst: number): void {
    this.reserveNothing();
    this.perSecond = perSecond;
    this.burst = burst;
    this.tokens = Math.min(this.tokens, burst);
  }

  private reserveNothing(): void {
    const t = this.now();
    if (this.perSecond > 0) this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
  }
}

const burstOf = (rate: number) => Math.max(1, Math.ceil(rate / 10));

/**
 * The configured rates are for the whole installation: with several daemons sending one
 * campaign, each takes its share (`setShare(n)`: the rates divided by the n live instances), so
 * two instances do not send at twice `newsletter.ratePerSecond` to a receiver that throttles.
 */
export class SendRateLimiter {
  private readonly global: Bucket;
  private readonly domains = new Map<string, Bucket>();
  private share = 1;
  constructor(private readonly o: { globalPerSecond: number; perDomainPerSecond: number; perDomain?: Record<string, number>; now?: () => number }) {
    this.global = new Bucket(o.globalPerSecond, burstOf(o.globalPerSecond), o.now);
  }

  /** This instance's share of the rates: 1 of `instances` (at least 1). */
  setShare(instances: number): void {
    const n = Math.max(1, Math.floor(instances));
    if (n === this.share) return;
    this.share = n;
    this.global.setRate(this.o.globalPerSecond / n, burstOf(this.o.globalPerSecond / n));
    for (const [d, b] of this.domains) {
      const rate = this.domainRate(d);
      b.setRate(rate, burstOf(rate));
    }
  }

  private domainRate(d: string): number {
    return (this.o.perDomain?.[d] ?? this.o.perDomainPerSecond) / this.share;
  }

  private domain(d: string): Bucket {
    let b = this.domains.get(d);
    if (!b) {
      const rate = this.domainRate(d);
      b = new Bucket(rate, burstOf(rate), this.o.now);
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
