import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per daemon (not the global one), so tests can run several side by side.
 * `mailbox: false` (no IMAP_HOST) leaves the mailbox gauges out: a `mailroom_mailbox_up 0`
 * there would page someone about a mailbox that does not exist.
 */
export function createMetrics(opts: { mailbox?: boolean } = {}) {
  const registry = new Registry();
  const mailboxRegisters = opts.mailbox === false ? [] : [registry];
  collectDefaultMetrics({ register: registry, prefix: 'mailroom_' });
  const m = {
    registry,
    outboxDelivered: new Counter({ name: 'mailroom_outbox_delivered_total', help: 'Outbox rows delivered', labelNames: ['channel'], registers: [registry] }),
    outboxFailed: new Counter({ name: 'mailroom_outbox_failed_total', help: 'Outbox rows that failed for good', labelNames: ['channel'], registers: [registry] }),
    outboxRetried: new Counter({ name: 'mailroom_outbox_retried_total', help: 'Outbox delivery attempts that will be retried', labelNames: ['channel'], registers: [registry] }),
    outboxDeliverySeconds: new Histogram({ name: 'mailroom_outbox_delivery_seconds', help: 'Time to hand one outbox row to its transport', labelNames: ['channel'], registers: [registry], buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30] }),
    outboxPending: new Gauge({ name: 'mailroom_outbox_pending', help: 'Outbox rows by status', labelNames: ['status'], registers: [registry] }),
    ingestStored: new Counter({ name: 'mailroom_ingest_stored_total', help: 'Inbound messages stored, by mailbox (import: messages from `mailroom import`)', labelNames: ['mailbox'], registers: [registry] }),
    ingestFiled: new Counter({ name: 'mailroom_ingest_filed_total', help: 'Inbound messages filed, by outcome', labelNames: ['outcome'], registers: [registry] }),
    ingestQuarantined: new Counter({ name: 'mailroom_ingest_quarantined_total', help: 'Inbound messages quarantined', registers: [registry] }),
    // Per mailbox (label `mailbox`, its name): only the instance leading a mailbox reports 1 for it.
    mailboxUp: new Gauge({ name: 'mailroom_mailbox_up', help: '1 when this instance is connected to the IMAP mailbox and watches it', labelNames: ['mailbox'], registers: mailboxRegisters }),
    mailboxLastActivity: new Gauge({ name: 'mailroom_mailbox_last_activity_seconds', help: 'Unix time of the last IMAP activity on the mailbox', labelNames: ['mailbox'], registers: mailboxRegisters }),
    newsletterSent: new Counter({ name: 'mailroom_newsletter_sent_total', help: 'Campaign mails handed to the transport', registers: [registry] }),
    newsletterFailed: new Counter({ name: 'mailroom_newsletter_failed_total', help: 'Campaign recipients that failed for good, by reason (failed, bounced)', labelNames: ['reason'], registers: [registry] }),
    // The gauges below describe the shared database, not this process: every instance reports
    // the same figures, so alerts and panels aggregate them with max(), not sum().
    inboundBacklog: new Gauge({ name: 'mailroom_inbound_backlog', help: 'Inbound messages stored but not yet filed or quarantined', registers: [registry] }),
    quarantined: new Gauge({ name: 'mailroom_quarantine_messages', help: 'Inbound messages in quarantine (mailroom quarantine list)', registers: [registry] }),
    privacyCasesOpen: new Gauge({ name: 'mailroom_privacy_cases_open', help: 'Open privacy cases by how close their due date is (overdue, 3d, 7d, later)', labelNames: ['due'], registers: [registry] }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
