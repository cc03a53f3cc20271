import path from 'node:path';
import type { Config } from '../config/load-config.ts';
import { TemplateRenderer } from '../templates/render-template.ts';
import type { FilingDeps, MailboxFiling } from '../handlers/filing-deps.ts';
import type { MailboxConfig } from '../config/mailboxes.ts';
import { createStaffNotifier } from './staff-notifier.ts';
import { senderAddresses, type Senders } from '../mail/senders.ts';
import { domainOf } from '../threading/normalise-address.ts';
import { privacyDepsWithEffects } from './privacy-setup.ts';

function formatMailbox(m: { name: string; address: string }): string {
  return m.name ? `"${m.name.replace(/"/g, '')}" <${m.address}>` : m.address;
}

/** Builds the filing stage's dependencies from the validated configuration. */
export function filingDepsFromConfig(config: Config, extra: Partial<FilingDeps> = {}): FilingDeps {
  return {
    routing: config.behaviour.routing,
    prefixes: { ticketPrefix: config.behaviour.ids.ticketPrefix, leadPrefix: config.behaviour.ids.leadPrefix },
    secret: config.secret,
    messageIdDomain: config.messageIdDomain,
    mailFrom: config.senders.support.from.address,
    fromName: config.senders.support.from.name,
    senders: config.senders,
    orgName: config.behaviour.organisation.name,
    // Mail from any of our own sending addresses is ours (loop protection), whichever mailbox sent it.
    ownDomains: [
      ...new Set([
        ...config.behaviour.organisation.ownDomains,
        ...senderAddresses(config.senders).flatMap((a) => domainOf(a) ?? []),
        ...config.mailboxes.flatMap((m) => [m.ackFrom, m.replyTo].flatMap((a) => (a ? (domainOf(a.address) ?? []) : []))),
      ]),
    ],
    mailboxes: Object.fromEntries(config.mailboxes.map((m) => [m.name, mailboxFiling(m, config.senders)])),
    maxAcksPerHour: config.behaviour.acknowledgements.maxPerRecipientPerHour,
    acknowledgementsEnabled: config.behaviour.acknowledgements.enabled,
    templates: new TemplateRenderer(path.resolve(path.dirname(config.configFile), 'templates')),
    // Staff tasks for new records, whoever files them (daemon, import, triage).
    notifyStaff: createStaffNotifier({ channels: config.behaviour.slack.channels, postToSlack: !!config.env.SLACK_BOT_TOKEN }),
    newsletter: { softBounceLimit: config.behaviour.newsletter.softBounceLimit },
    privacy: privacyDepsWithEffects(config),
    ...extra,
  };
}

/**
 * What a mailbox changes when its mail is filed: its default queue, and the From/Reply-To of the
 * acknowledgements (tickets and leads) when the entry gives them; a From without a display name
 * keeps the queue sender's name.
 */
function mailboxFiling(m: MailboxConfig, senders: Senders): MailboxFiling {
  if (!m.ackFrom && !m.replyTo) return { defaultQueue: m.defaultQueue };
  const own = (kind: 'support' | 'sales') => {
    const base = senders[kind];
    const from = m.ackFrom ? { name: m.ackFrom.name || base.from.name, address: m.ackFrom.address } : base.from;
    const replyTo = m.replyTo ?? base.replyTo;
    return { from, ...(replyTo ? { replyTo } : {}) };
  };
  return { defaultQueue: m.defaultQueue, senders: { support: own('support'), sales: own('sales') } };
}
