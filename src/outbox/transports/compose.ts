import type { SendMailOptions } from 'nodemailer';
import type { OutgoingEmail } from '../outgoing-email.ts';

export function toNodemailerMessage(mail: OutgoingEmail): SendMailOptions {
  return {
    from: mail.from,
    to: mail.to,
    cc: mail.cc,
    replyTo: mail.replyTo,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    inReplyTo: mail.inReplyTo,
    references: mail.references,
    headers: mail.headers,
    envelope: mail.envelopeFrom ? { from: mail.envelopeFrom, to: [...mail.to, ...(mail.cc ?? [])] } : undefined,
    attachments: mail.attachments?.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: a.contentBase64,
      encoding: 'base64',
    })),
    // Keep the date stable for the life of the row would need storing it; the Message-ID is the identity.
  };
}
