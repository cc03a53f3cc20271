import { OutboxMessage } from './outbox-message.ts';
import { ImapCursor, InboundMessage, InboundRawChunk, Attachment } from './inbound.ts';
import { Organisation, Contact, Ticket, Lead, RecordMessage, TriageItem } from './crm.ts';
import { Task, TaskAudit } from './task.ts';
import { CustomerOrder, PortalUser, ProjectParticipant } from './company-records.ts';

export { OutboxMessage, ImapCursor, InboundMessage, InboundRawChunk, Attachment, Organisation, Contact, Ticket, Lead, RecordMessage, TriageItem, Task, TaskAudit, CustomerOrder, PortalUser, ProjectParticipant };

export const allEntities = [OutboxMessage, ImapCursor, InboundMessage, InboundRawChunk, Attachment, Organisation, Contact, Ticket, Lead, RecordMessage, TriageItem, Task, TaskAudit, CustomerOrder, PortalUser, ProjectParticipant];
import { privacyEntities } from './privacy.ts'; (allEntities as unknown[]).push(...privacyEntities);
import { newsletterEntities } from './newsletter.ts'; (allEntities as unknown[]).push(...newsletterEntities);
import { noticeEntities } from './notices.ts'; (allEntities as unknown[]).push(...noticeEntities);
