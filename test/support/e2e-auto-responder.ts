/**
 * A misbehaving auto-responder for loop tests. It watches what the SMTP peer receives for its
 * address and answers every message by putting a reply into Mailroom's inbox (`deliver`,
 * e.g. an IMAP APPEND to the test Dovecot).
 *
 *  - 'polite': RFC 3834 done right: `Auto-Submitted: auto-replied`, In-Reply-To/References
 *    naming the message it answers, "Automatisk svar:" subject. Must never be answered.
 *  - 'careless': no auto headers (like many ticket systems' "we got your mail"), but a proper
 *    reply: In-Reply-To/References name our message, subject "Re: <our subject>". Threading
 *    puts it on the record; a reply is never acknowledged.
 *  - 'rude': looks like new human mail every time: no auto headers, a fresh Message-ID, no
 *    In-Reply-To/References, no ticket ID, a subject changed by a counter. Only the
 *    per-recipient acknowledgement limit can stop this one.
 *
 * `maxReplies` is a safety net so a broken Mailroom cannot make the test run forever; the
 * test asserts the exchange stopped well before it.
 */
import { simpleParser } from 'mailparser';
import type { SmtpPeer } from './smtp-peer.ts';

export type ResponderStyle = 'polite' | 'careless' | 'rude';

export interface AutoResponder {
  address: string;
  /** Messages Mailroom sent to the responder, in order. */
  received: { messageId?: string; subject: string; at: number }[];
  /** Replies the responder put into Mailroom's inbox. */
  sent: { messageId: string; subject: string; at: number }[];
  /** Time of the last message in either direction. */
  lastActivity(): number;
  stop(): Promise<void>;
}

export interface AutoResponderOptions {
  peer: SmtpPeer;
  address: string;
  name?: string;
  style: ResponderStyle;
  /** Puts a raw RFC 822 message into Mailroom's inbox. */
  deliver: (raw: string) => Promise<unknown>;
  /** Mailroom's inbox address (To of the replies). */
  mailroomAddress?: string;
  maxReplies?: number;
  pollMs?: number;
}

const stripIds = (s: string) => s.replace(/\[?[A-Z]+-\d+\]?:?/g, ' ').replace(/\s+/g, ' ').trim();

export function startAutoResponder(o: AutoResponderOptions): AutoResponder {
  const address = o.address.toLowerCase();
  const max = o.maxReplies ?? 20;
  const received: AutoResponder['received'] = [];
  const sent: AutoResponder['sent'] = [];
  let seen = 0;
  let last = Date.now();
  let stopped = false;
  let counter = 0;
  const domain = address.split('@')[1]!;

  const reply = async (raw: Buffer) => {
    const m = await simpleParser(raw);
    const subject = m.subject ?? '';
    received.push({ messageId: m.messageId, subject, at: Date.now() });
    last = Date.now();
    if (sent.length >= max) return;
    counter++;
    const messageId = `<${o.style}-${counter}-${Date.now().toString(36)}@${domain}>`;
    const headers =
      o.style === 'polite'
        ? [
            `From: ${o.name ?? 'Autosvar'} <${address}>`,
            `To: ${o.mailroomAddress ?? 'post@infracomfort.example'}`,
            `Subject: Automatisk svar: ${subject}`,
            `Message-ID: ${messageId}`,
            ...(m.messageId ? [`In-Reply-To: ${m.messageId}`, `References: ${m.messageId}`] : []),
            'Auto-Submitted: auto-replied',
          ]
        : o.style === 'careless'
          ? [
              `From: ${o.name ?? 'Kundeservice'} <${address}>`,
              `To: ${o.mailroomAddress ?? 'post@infracomfort.example'}`,
              `Subject: Re: ${subject}`,
              `Message-ID: ${messageId}`,
              ...(m.messageId ? [`In-Reply-To: ${m.messageId}`, `References: ${m.messageId}`] : []),
            ]
          : [
              `From: ${o.name ?? 'Ola Kunde'} <${address}>`,
              `To: ${o.mailroomAddress ?? 'post@infracomfort.example'}`,
              // Looks like a person starting a new case every time: no ID, a new subject.
              `Subject: Re: ${stripIds(subject).slice(0, 60)} ${counter}`,
              `Message-ID: ${messageId}`,
            ];
    const body =
      o.style === 'polite'
        ? 'Jeg er på ferie til 1. desember og leser ikke e-post. Dette er et automatisk svar.'
        : o.style === 'careless'
          ? `Takk for din henvendelse. Vi har mottatt meldingen din og svarer så snart vi kan.\r\n\r\nSaksnummer ${counter}.`
          : `Hei,\r\n\r\nVarmepumpen virker ikke etter oppdateringen, den viser feilkode E${counter}. Kan dere se på feilen?\r\n\r\nMvh\r\nOla`;
    const text = [
      ...headers,
      `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      body,
      '',
    ].join('\r\n');
    await o.deliver(text);
    sent.push({ messageId, subject: /^Subject: (.*)$/m.exec(text)![1]!, at: Date.now() });
    last = Date.now();
  };

  const loop = (async () => {
    while (!stopped) {
      while (seen < o.peer.messages.length) {
        const msg = o.peer.messages[seen++]!;
        if (msg.envelope.to.some((t) => t.toLowerCase() === address)) await reply(msg.raw);
      }
      await new Promise((r) => setTimeout(r, o.pollMs ?? 50));
    }
  })();

  return {
    address,
    received,
    sent,
    lastActivity: () => last,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
