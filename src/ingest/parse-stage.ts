import type { Readable } from 'node:stream';
import { parseMessage, type ParsedAttachment } from './parse-message.ts';
import { recogniseAutomatedMail } from './automated-mail.ts';
import { toStoredParse, type StoredParse } from './inbound-record.ts';

/** Attachments above this stay only in the stored raw message; smaller ones get a copy. */
const ATTACHMENT_COPY_LIMIT = 5 * 1024 * 1024;

export interface ParseStageOptions {
  ownDomains: string[];
  messageIdDomain: string;
}

/** What the parse stage makes of one raw message: what filing reads, and the attachments to store. */
export interface ParseOutcome {
  stored: StoredParse;
  /** With their content when small enough to copy (the raw message keeps the rest). */
  attachments: ParsedAttachment[];
}

/**
 * Parse, recognise automated mail, and reduce to what is stored: no database, no clock, so the
 * processor (which stores the outcome) stays a sequence of side effects around this.
 */
export async function parseStage(raw: Buffer | Readable, o: ParseStageOptions): Promise<ParseOutcome> {
  const parsed = await parseMessage(raw, {
    maxBufferedAttachmentBytes: ATTACHMENT_COPY_LIMIT,
    onAttachment: async (_meta, stream: Readable) => {
      // Too big to copy: the parser has hashed it, the raw message keeps the bytes.
      stream.resume();
      await new Promise((resolve, reject) => stream.once('end', resolve).once('error', reject));
      return 'raw';
    },
  });
  const automated = recogniseAutomatedMail(parsed, null, { ownDomains: o.ownDomains, ownMessageIdDomain: o.messageIdDomain });
  return {
    stored: toStoredParse(parsed, automated),
    attachments: parsed.attachments,
  };
}
