import { OutboxMessage } from './outbox-message.ts';
import { ImapCursor, InboundMessage, InboundRawChunk, Attachment } from './inbound.ts';
import {
  Organisation,
  Contact,
  Ticket,
  TicketParticipant,
  Lead,
  RecordMessage,
  ThreadMessageId,
  EmailLog,
  TriageItem,
  Acknowledgement,
  ClassificationCorrection,
} from './crm.ts';
import { Task, TaskAudit } from './task.ts';
import { companyRecordEntities } from './company-records.ts';
import { privacyEntities } from './privacy.ts';
import { newsletterEntities } from './newsletter.ts';
import { noticeEntities } from './notices.ts';

export * from './outbox-message.ts';
export * from './inbound.ts';
export * from './crm.ts';
export * from './task.ts';
export * from './company-records.ts';
export * from './privacy.ts';
export * from './newsletter.ts';
export * from './notices.ts';

/**
 * Every table the migrations create, as an entity: the schema generator compares exactly these
 * with a migrated database (test/integration/schema-agreement.test.ts), and generates the next
 * migration from them (src/db/README.md).
 */
export const allEntities = [
  OutboxMessage,
  ImapCursor,
  InboundMessage,
  InboundRawChunk,
  Attachment,
  Organisation,
  Contact,
  Ticket,
  TicketParticipant,
  Lead,
  RecordMessage,
  ThreadMessageId,
  EmailLog,
  TriageItem,
  Acknowledgement,
  ClassificationCorrection,
  Task,
  TaskAudit,
  ...companyRecordEntities,
  ...privacyEntities,
  ...newsletterEntities,
  ...noticeEntities,
];
