import { defineEntity, p } from '@mikro-orm/core';
import type { BodySplit } from '../threading/quote-split.ts';

export const Organisation = defineEntity({
  name: 'Organisation',
  tableName: 'organisation',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    name: p.text(),
    kind: p.string().$type<'customer' | 'partner' | 'dealer' | 'prospect'>().default('customer'),
    domain: p.text().nullable(),
    dealerNumber: p.text().nullable(),
    externalRef: p.text().nullable(),
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
    email: p.text(),
    name: p.text().nullable(),
    title: p.text().nullable(),
    phone: p.text().nullable(),
    organisationId: p.bigint('string').nullable(),
    roles: p.array().default([]),
    language: p.text().nullable(),
    externalRef: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});

export const Ticket = defineEntity({
  name: 'Ticket',
  tableName: 'ticket',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    ref: p.text(),
    subject: p.text().default(''),
    status: p.string().$type<'open' | 'pending' | 'closed'>().default('open'),
    priority: p.string().$type<'low' | 'normal' | 'high' | 'urgent'>().default('normal'),
    requesterId: p.bigint('string').nullable(),
    organisationId: p.bigint('string').nullable(),
    language: p.text().nullable(),
    linkedRef: p.text().nullable(),
    acknowledgedAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});

export const Lead = defineEntity({
  name: 'Lead',
  tableName: 'lead',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    ref: p.text(),
    source: p.string().$type<'email' | 'web-form' | 'dealer-page'>(),
    status: p.string().$type<'new' | 'qualified' | 'won' | 'lost'>().default('new'),
    subject: p.text().default(''),
    contactId: p.bigint('string').nullable(),
    organisationId: p.bigint('string').nullable(),
    dealerId: p.bigint('string').nullable(),
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
    direction: p.string().$type<'in' | 'out'>(),
    inboundMessageId: p.bigint('string').nullable(),
    outboxId: p.bigint('string').nullable(),
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
});

export const TriageItem = defineEntity({
  name: 'TriageItem',
  tableName: 'triage_item',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    inboundMessageId: p.bigint('string'),
    suggestedRoute: p.text(),
    reason: p.text(),
    scores: p.json<Record<string, unknown>>().nullable(),
    state: p.string().$type<'open' | 'resolved'>().default('open'),
    resolution: p.text().nullable(),
    resolvedBy: p.text().nullable(),
    recordRef: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    resolvedAt: p.datetime().nullable(),
  },
});
