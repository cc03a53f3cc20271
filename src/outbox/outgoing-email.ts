/** What an email outbox row carries: enough to rebuild the exact same message on every retry. */
export interface OutgoingEmail {
  from: string;
  to: string[];
  cc?: string[];
  replyTo?: string;
  subject: string;
  text: string;
  html?: string;
  /** Stable across retries, so a receiver can recognise a second copy. */
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  /** Envelope sender (VERP / bounce address); defaults to `from`. */
  envelopeFrom?: string;
  attachments?: { filename: string; contentType: string; contentBase64: string }[];
}
