/**
 * What the CLI (and later Slack/HTTP) shows of each record kind: plain objects with stable,
 * camelCase field names. `list*` gives one flat row per record; `show*` gives one record with
 * what belongs to it (timeline, participants, attachments, email log). One file per job:
 * tickets and leads (case-views.ts), contacts and organisations (directory-views.ts), triage,
 * inbound messages and quarantine (message-views.ts); their queries in the matching *-store.ts.
 */
export type { View } from './view-values.ts';
export { listTickets, showTicket, listLeads, showLead } from './case-views.ts';
export { listContacts, showContact, listOrganisations, showOrganisation } from './directory-views.ts';
export { listTriage, INBOUND_STATES, listMessages, showMessage, listQuarantine, showQuarantined } from './message-views.ts';
