import { z } from 'zod';

const duration = z.number().int().nonnegative();

/** `newsletter:` in config/mailroom.yaml. Every key has a default. */
export const newsletterConfigSchema = z
  .object({
    /** Lists created at start-up when missing (slug → names). */
    lists: z
      .array(z.object({ slug: z.string().regex(/^[a-z0-9-]+$/), nb: z.string(), en: z.string(), public: z.boolean().default(true) }).strict())
      .default([{ slug: 'nyhetsbrev', nb: 'Nyhetsbrev', en: 'Newsletter', public: true }]),
    fromName: z.string().optional(),
    /** Messages per second for the whole sender (0: unlimited) and per recipient domain. */
    ratePerSecond: z.number().nonnegative().default(100),
    perDomainPerSecond: z.number().nonnegative().default(20),
    perDomain: z.record(z.string(), z.number().nonnegative()).default({}),
    smtpPoolSize: z.number().int().min(1).max(50).default(5),
    batchSize: z.number().int().min(1).max(1000).default(100),
    /** Temporary failures are retried with backoff for this long, then the row fails with its reason. */
    retryForMs: duration.default(72 * 3600_000),
    backoffBaseMs: duration.default(5_000),
    backoffMaxMs: duration.default(30 * 60_000),
    claimTimeoutMs: duration.default(5 * 60_000),
    /** Soft bounces before an address is suppressed. */
    softBounceLimit: z.number().int().min(1).default(3),
    /** Store only counts per campaign, never who opened or clicked. */
    aggregateOnly: z.boolean().default(false),
    /** Opens this soon after delivery are prefetches; clicks this soon are link scanners. */
    machineOpenWindowSeconds: duration.default(2),
    machineClickWindowSeconds: duration.default(10),
    confirmationValidHours: z.number().int().min(1).default(72),
    /** Cron for the job that starts scheduled campaigns (Europe/Oslo). */
    scheduleCron: z.string().default('* * * * *'),
  })
  .strict()
  .prefault({});

export type NewsletterConfig = z.infer<typeof newsletterConfigSchema>;
