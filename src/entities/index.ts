import { OutboxMessage } from './outbox-message.ts';
import { ImapCursor, InboundMessage, InboundRawChunk, Attachment } from './inbound.ts';
import { Organisation, Contact, Ticket, Lead, RecordMessage, TriageItem } from './crm.ts';

export { OutboxMessage, ImapCursor, InboundMessage, InboundRawChunk, Attachment, Organisation, Contact, Ticket, Lead, RecordMessage, TriageItem };

export const allEntities = [OutboxMessage, ImapCursor, InboundMessage, InboundRawChunk, Attachment, Organisation, Contact, Ticket, Lead, RecordMessage, TriageItem];
