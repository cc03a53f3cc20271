import { z } from 'zod';
import { routingConfigSchema } from '../classify/routing-rules.ts';
import { slackApproversSchema } from '../tasks/approvers.ts';
import { newsletterConfigSchema } from '../newsletter/config-schema.ts';
import { privacyConfigSchema } from '../privacy/config.ts';
import { noticesConfigSchema } from '../notices/notices-config.ts';
import { tasksConfigSchema } from '../tasks/tasks-config.ts';
import { mailboxSetting } from '../mail/address.ts';
import { sendersSettingSchema } from '../mail/senders.ts';
import { mailboxesSchema } from './mailboxes.ts';

const duration = z.number().int().nonnegative();

/** Behaviour lives in config/mailroom.yaml; every key has a default so an empty file works. */
export const behaviourSchema = z
  .object({
    organisation: z
      .object({
        name: z.string().default('InfraComfort AS'),
        /** Domains whose mail is our own: used for loop detection and never treated as customers. */
        ownDomains: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    mail: z
      .object({
        /** Display name of MAIL_FROM when MAIL_FROM has none. */
        fromName: z.string().default('Mailroom'),
        /** Reply-To of every outgoing mail whose sender sets none (one mailbox). */
        replyTo: mailboxSetting.optional(),
        /** Per-queue From/Reply-To (src/mail/senders.ts). */
        senders: sendersSettingSchema,
        /** Domain part of Message-IDs we generate; defaults to MAIL_FROM's domain. */
        messageIdDomain: z.string().optional(),
      })
      .strict()
      .prefault({}),
    outbox: z
      .object({
        batchSize: z.number().int().min(1).max(1000).default(50),
        concurrency: z.number().int().min(1).max(100).default(8),
        pollIntervalMs: duration.default(500),
        maxAttempts: z.number().int().min(1).max(100).default(8),
        backoffBaseMs: duration.default(2_000),
        backoffMaxMs: duration.default(15 * 60_000),
        /** A row claimed longer than this is assumed to belong to a dead dispatcher. */
        claimTimeoutMs: duration.default(5 * 60_000),
        smtpPoolSize: z.number().int().min(1).max(50).default(5),
      })
      .strict()
      .prefault({}),
    /**
     * Several shared addresses, each its own IMAP account or folder (src/config/mailboxes.ts).
     * Absent: the IMAP_* variables describe the one mailbox.
     */
    mailboxes: mailboxesSchema,
    ingest: z
      .object({
        afterFiling: z.enum(['keep', 'move']).default('keep'),
        keyword: z.string().default('$Mailroom'),
        moveTo: z.string().default('Archive'),
        idleDelayMs: duration.default(200),
        socketTimeoutMs: duration.default(60_000),
        watchdogIntervalMs: duration.default(30_000),
        alertAfterMs: duration.default(5 * 60_000),
        /** How often mailbox health is looked at for the alert (and its closing). */
        alertCheckIntervalMs: duration.default(5_000),
        /** Reconnect attempts double their wait up to this. */
        reconnectMaxMs: duration.default(30_000),
        maxAttempts: z.number().int().min(1).max(50).default(5),
        archiveMode: z.boolean().default(false),
        /**
         * Worker threads that parse mail (src/ingest/parse-pool.ts); unset: one per core but one,
         * at least one. 0 parses in the daemon's own thread.
         */
        parseWorkers: z.number().int().min(0).max(64).optional(),
      })
      .strict()
      .prefault({}),
    ids: z
      .object({
        ticketPrefix: z.string().regex(/^[A-Z]{2,8}$/, 'must be 2-8 capital letters').default('SUP'),
        leadPrefix: z.string().regex(/^[A-Z]{2,8}$/, 'must be 2-8 capital letters').default('LEAD'),
        privacyPrefix: z.string().regex(/^[A-Z]{2,8}$/, 'must be 2-8 capital letters').default('PRV'),
      })
      .strict()
      .prefault({}),
    acknowledgements: z
      .object({
        enabled: z.boolean().default(true),
        maxPerRecipientPerHour: z.number().int().min(0).default(3),
      })
      .strict()
      .prefault({}),
    /** Routing rules; the schema and its defaults live in src/classify/routing-rules.ts. */
    routing: routingConfigSchema,
    /** Privacy requests; the schema and its defaults live in src/privacy/config.ts. */
    privacy: privacyConfigSchema,
    /** Operations notices (driftsmeldinger); schema and defaults in src/notices/notices-config.ts. */
    notices: noticesConfigSchema,
    slack: z
      .object({
        channels: z
          .object({
            support: z.string().default('#support'),
            sales: z.string().default('#sales'),
            triage: z.string().default('#triage'),
            privacy: z.string().default('#privacy'),
            alerts: z.string().default('#mailroom-alerts'),
          })
          .strict()
          .prefault({}),
        /** Who may approve what: per task kind or action kind, Slack user IDs/names or CLI names; '*' anyone. */
        approvers: slackApproversSchema,
      })
      .strict()
      .prefault({}),
    /** Newsletters: lists, send rates, bounces, tracking modes (src/newsletter/config-schema.ts). */
    newsletter: newsletterConfigSchema,
    /** Staff tasks: when undecided approvals expire (src/tasks/task-expiry.ts). */
    tasks: tasksConfigSchema,
  })
  .strict();

export type Behaviour = z.infer<typeof behaviourSchema>;
