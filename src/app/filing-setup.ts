import path from 'node:path';
import type { Config } from '../config/load-config.ts';
import { TemplateRenderer } from '../templates/render-template.ts';
import type { FilingDeps } from '../handlers/filing-deps.ts';
import { createStaffNotifier } from './staff-notifier.ts';
import { senderAddresses } from '../mail/senders.ts';
import { domainOf } from '../mail/address.ts';
import { privacyDepsWithEffects } from './privacy-setup.ts';

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
    ownDomains: [...new Set([...config.behaviour.organisation.ownDomains, ...senderAddresses(config.senders).map(domainOf)])],
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
