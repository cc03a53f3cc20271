import { defineEntity, p } from '@mikro-orm/core';
import type { BodySplit } from '../threading/quote-split.ts';
import { InboundMessage } from './inbound.ts';
import { OutboxMessage } from './outbox-message.ts';
import { references } from './references.ts';

export const Organisation = defineEntity({
  name: 'Organisation',
  tableName: 'organisation',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    name: p.text(),
    kind: p.enum(['customer', 'partner', 'dealer', 'prospect']).default('customer'),
    domain: p.text().nullable().unique(),
    dealerNumber: p.text().nullable().unique(),
    externalRef: p.text().nullable().unique(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});

/** A person, matched by normalised email address. */
export const Contact = defineEntity({
  name: 'Contact',
  tableName: 'contact',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    email: p.text().unique(),
    name: p.text().nullable(),
    title: p.text().nullable(),
    phone: p.text().nullable(),
    organisation: () => references(Organisation).nullable(),
    roles: p.array().default([]),
    language: p.text().nullable(),
    externalRef: p.text().nullable().unique(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
  indexes: [{ name: 'contact_organisation_idx', properties: ['organisation'] }],
});

export const Ticket = defineEntity({
  name: 'Ticket',
  tableName: 'ticket',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    ref: p.text().unique(),
    subject: p.text().default(''),
    status: p.enum(['open', 'pending', 'closed']).default('open'),
    priority: p.enum(['low', 'normal', 'high', 'urgent']).default('normal'),
    requester: () => references(Contact).nullable(),
    organisation: () => references(Organisation).nullable(),
    language: p.text().nullable(),
    linkedRef: p.text().nullable(),
    acknowledgedAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});

/** Everyone on a ticket besides its requester (Cc'd colleagues, people who wrote in on it). */
export const TicketParticipant = defineEntity({
  name: 'TicketParticipant',
  tableName: 'ticket_participant',
  properties: {
    ticket: () => references(Ticket).primary().deleteRule('cascade'),
    contact: () => references(Contact).primary(),
  },
});

export const Lead = defineEntity({
  name: 'Lead',
  tableName: 'lead',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    ref: p.text().unique(),
    source: p.enum(['email', 'web-form', 'dealer-page']),
    status: p.enum(['new', 'qualified', 'won', 'lost']).default('new'),
    subject: p.text().default(''),
    contact: () => references(Contact).nullable(),
    organisation: () => references(Organisation).nullable(),
    dealer: () => references(Organisation).nullable(),
    language: p.text().nullable(),
    formData: p.json<Record<string, unknown>>().nullable(),
    linkedRef: p.text().nullable(),
    acknowledgedAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});

/** Every message on a ticket or lead, in and out: the record's timeline. */
export const RecordMessage = defineEntity({
  name: 'RecordMessage',
  tableName: 'record_message',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    recordRef: p.text(),
    direction: p.enum(['in', 'out']),
    inboundMessage: () => references(InboundMessage).nullable().unique(),
    outbox: () => references(OutboxMessage).nullable(),
    messageId: p.text().nullable(),
    fromAddress: p.text().nullable(),
    author: p.text().nullable(),
    subject: p.text().nullable(),
    bodyNew: p.text().nullable(),
    bodyQuoted: p.text().nullable(),
    signature: p.text().nullable(),
    /** An inbound message's split of inbound_message.parsed's text (its parts are not copied). */
    bodySplit: p.json<BodySplit>().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
  indexes: [{ name: 'record_message_ref_idx', properties: ['recordRef', 'id'] }],
});

/** Message-ID → record, for threading replies by In-Reply-To/References. */
export const ThreadMessageId = defineEntity({
  name: 'ThreadMessageId',
  tableName: 'thread_message_id',
  properties: {
    messageId: p.text().primary(),
    recordRef: p.text(),
  },
});

/** A contact's or lead's email history (the CRM's view of the mail about them). */
export const EmailLog = defineEntity({
  name: 'EmailLog',
  tableName: 'email_log',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    contact: () => references(Contact).nullable(),
    lead: () => references(Lead).nullable(),
    recordRef: p.text().nullable(),
    direction: p.enum(['in', 'out']),
    subject: p.text().nullable(),
    messageId: p.text().nullable(),
    inboundMessage: () => references(InboundMessage).nullable(),
    outbox: () => references(OutboxMessage).nullable(),
    at: p.datetime().defaultRaw('now()'),
  },
  indexes: [{ name: 'email_log_contact_idx', properties: ['contact'] }],
});

export const TriageItem = defineEntity({
  name: 'TriageItem',
  tableName: 'triage_item',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    inboundMessage: () => references(InboundMessage).unique(),
    suggestedRoute: p.text(),
    reason: p.text(),
    scores: p.json<Record<string, unknown>>().nullable(),
    state: p.enum(['open', 'resolved']).default('open'),
    resolution: p.text().nullable(),
    resolvedBy: p.text().nullable(),
    recordRef: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    resolvedAt: p.datetime().nullable(),
  },
});

/** The one acknowledgement a record's sender gets; by recipient, it caps how many one address gets an hour. */
export const Acknowledgement = defineEntity({
  name: 'Acknowledgement',
  tableName: 'acknowledgement',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    recordRef: p.text().unique(),
    recipient: p.text(),
    outbox: () => references(OutboxMessage).nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
  indexes: [{ name: 'acknowledgement_recipient_idx', properties: ['recipient', 'createdAt'] }],
});

/**
 * A route staff decided for a message, a labelled example for the routing rules; it points at
 * the message and goes with it when an erasure deletes the message.
 */
export const ClassificationCorrection = defineEntity({
  name: 'ClassificationCorrection',
  tableName: 'classification_correction',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    inboundMessage: () => references(InboundMessage).deleteRule('cascade'),
    originalRoute: p.text(),
    correctedRoute: p.text(),
    recordRef: p.text().nullable(),
    source: p.enum(['triage', 'reclassify']),
    decidedBy: p.text(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
  indexes: [
    // Newest first: the export reads the latest corrections.
    { name: 'classification_correction_created_idx', expression: 'create index classification_correction_created_idx on classification_correction (created_at desc)' },
  ],
});
