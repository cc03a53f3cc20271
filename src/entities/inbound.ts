import { defineEntity, p } from '@mikro-orm/core';

/** The IMAP position reached per (mailbox, UIDVALIDITY); advanced in the same transaction as the raw store. */
export const ImapCursor = defineEntity({
  name: 'ImapCursor',
  tableName: 'imap_cursor',
  properties: {
    mailbox: p.text().primary(),
    uidValidity: p.bigint('string').primary(),
    lastUid: p.bigint('number').default(0),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});

export type InboundState = 'stored' | 'parsed' | 'filed' | 'quarantined' | 'duplicate';

export const InboundMessage = defineEntity({
  name: 'InboundMessage',
  tableName: 'inbound_message',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    source: p.string().$type<'imap' | 'import'>(),
    mailbox: p.text().nullable(),
    uidValidity: p.bigint('string').nullable(),
    uid: p.bigint('number').nullable(),
    messageId: p.text().nullable(),
    contentSha256: p.text(),
    size: p.bigint('number'),
    internalDate: p.datetime().nullable(),
    receivedAt: p.datetime().defaultRaw('now()'),
    state: p.string().$type<InboundState>().default('stored'),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime().defaultRaw('now()'),
    lastError: p.text().nullable(),
    archive: p.boolean().default(false),
    duplicateOf: p.bigint('string').nullable(),
    subject: p.text().nullable(),
    fromAddress: p.text().nullable(),
    automatedKind: p.text().nullable(),
    automatedReason: p.text().nullable(),
    language: p.text().nullable(),
    parsed: p.json<Record<string, unknown>>().nullable(),
    outcome: p.text().nullable(),
    recordRef: p.text().nullable(),
    filedAt: p.datetime().nullable(),
    /** Instance id (database application_name) of the daemon that filed it. */
    filedBy: p.text().nullable(),
    serverActionDone: p.boolean().default(false),
  },
});

export const InboundRawChunk = defineEntity({
  name: 'InboundRawChunk',
  tableName: 'inbound_raw_chunk',
  properties: {
    inboundMessageId: p.bigint('string').primary(),
    seq: p.integer().primary(),
    bytes: p.blob(),
  },
});

export const Attachment = defineEntity({
  name: 'Attachment',
  tableName: 'attachment',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    inboundMessageId: p.bigint('string'),
    position: p.integer(),
    filename: p.text().nullable(),
    contentType: p.text(),
    size: p.bigint('number'),
    sha256: p.text(),
    contentId: p.text().nullable(),
    inline: p.boolean().default(false),
    fromTnef: p.boolean().default(false),
    content: p.blob().nullable(),
  },
});
