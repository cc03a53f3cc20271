import path from 'node:path';
import type { Config } from '../config/load-config.ts';
import { TemplateRenderer } from '../templates/render-template.ts';
import type { FilingDeps } from '../handlers/filing-deps.ts';
import { createStaffNotifier } from './staff-notifier.ts';
import { privacyDepsFromConfig } from '../privacy/wire.ts';

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
    mailFrom: config.env.MAIL_FROM,
    fromName: config.behaviour.mail.fromName,
    orgName: config.behaviour.organisation.name,
    // Mail from any of our own sending addresses is ours (loop protection), whichever mailbox sent it.
    ownDomains: [...new Set([...config.behaviour.organisation.ownDomains, config.env.MAIL_FROM.split('@')[1]!, ...config.mailboxes.map((m) => m.ackFrom.address.split('@')[1]!)])],
    mailboxes: Object.fromEntries(
      config.mailboxes.map((m) => [
        m.name,
        { defaultQueue: m.defaultQueue, mailFrom: m.ackFrom.address, fromName: m.ackFrom.name, ...(m.replyTo ? { replyTo: formatMailbox(m.replyTo) } : {}) },
      ]),
    ),
    maxAcksPerHour: config.behaviour.acknowledgements.maxPerRecipientPerHour,
    acknowledgementsEnabled: config.behaviour.acknowledgements.enabled,
    templates: new TemplateRenderer(path.resolve(path.dirname(config.configFile), 'templates')),
    // Staff tasks for new records, whoever files them (daemon, import, triage).
    notifyStaff: createStaffNotifier({ channels: config.behaviour.slack.channels, postToSlack: !!config.env.SLACK_BOT_TOKEN }),
    newsletter: { softBounceLimit: config.behaviour.newsletter.softBounceLimit },
    privacy: privacyDepsFromConfig(config),
    ...extra,
  };
}
