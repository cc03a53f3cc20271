import { defineEntity, p } from '@mikro-orm/core';
import { references } from './references.ts';

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

const INBOUND_STATES = ['stored', 'parsed', 'filed', 'quarantined', 'duplicate'] as const;
export type InboundState = (typeof INBOUND_STATES)[number];

export const InboundMessage = defineEntity({
  name: 'InboundMessage',
  tableName: 'inbound_message',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    source: p.enum(['imap', 'import']),
    mailbox: p.text().nullable(),
    uidValidity: p.bigint('string').nullable(),
    uid: p.bigint('number').nullable(),
    messageId: p.text().nullable(),
    contentSha256: p.text(),
    size: p.bigint('number'),
    internalDate: p.datetime().nullable(),
    receivedAt: p.datetime().defaultRaw('now()'),
    state: p.enum([...INBOUND_STATES]).default('stored'),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime().defaultRaw('now()'),
    lastError: p.text().nullable(),
    archive: p.boolean().default(false),
    duplicateOf: () => references(InboundMessage).nullable().fieldName('duplicate_of'),
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
  uniques: [{ properties: ['mailbox', 'uidValidity', 'uid'] }],
  indexes: [
    { name: 'inbound_message_work_idx', expression: `create index inbound_message_work_idx on inbound_message (next_attempt_at, id) where state in ('stored', 'parsed')` },
    { name: 'inbound_message_message_id_idx', properties: ['messageId'] },
    { name: 'inbound_message_sha_idx', properties: ['contentSha256'] },
    {
      name: 'inbound_message_server_action_idx',
      expression: `create index inbound_message_server_action_idx on inbound_message (mailbox, uid_validity) where not server_action_done and state in ('filed', 'quarantined', 'duplicate')`,
    },
    // The /metrics quarantine count reads only the quarantined few.
    { name: 'inbound_message_quarantined_idx', expression: `create index inbound_message_quarantined_idx on inbound_message (id) where state = 'quarantined'` },
  ],
});

/**
 * Raw bytes in 1 MB chunks. `bytes` is stored EXTERNAL (uncompressed), which entities cannot say:
 * see migration 0006 and src/db/README.md.
 */
export const InboundRawChunk = defineEntity({
  name: 'InboundRawChunk',
  tableName: 'inbound_raw_chunk',
  properties: {
    inboundMessage: () => references(InboundMessage).primary().deleteRule('cascade'),
    seq: p.integer().primary(),
    bytes: p.blob(),
  },
});

/** `content` is stored EXTERNAL, like inbound_raw_chunk.bytes. */
export const Attachment = defineEntity({
  name: 'Attachment',
  tableName: 'attachment',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    inboundMessage: () => references(InboundMessage).deleteRule('cascade'),
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
  uniques: [{ properties: ['inboundMessage', 'position'] }],
});
