/**
 * Turns the conversation generator's messages (test/support/conversation-generator.ts) into
 * RFC 822 text for the real pipeline, translating the generator's record refs to the refs
 * the database actually assigned.
 *
 * The generator predicts refs (SUP-000001, LEAD-000001, … in creation order) and signs
 * the Message-IDs of Mailroom's simulated acknowledgements with its secret. The database
 * may number differently (another route, a sequence gap), so every ref a message carries —
 * in the subject, or inside a signed token in In-Reply-To/References — is rewritten to the
 * ref the database gave that thread. Tokens are re-signed with the same secret only when
 * they verify under it: forged tokens stay forged.
 */
import type { GeneratedMessage, GeneratedSender } from './conversation-generator.ts';
import { makeMessageId, readThreadToken } from '../../src/threading/thread-token.ts';

const TOKEN = /<?(mr1)\.([a-z2-7]+)\.([a-z2-7]{1,32})\.([a-z2-7]+)@([^\s<>]+?)>?$/i;

export class RefMap {
  private map = new Map<string, string>();
  rewrittenTokens = 0;
  rewrittenSubjects = 0;
  constructor(private readonly secret: string) {}

  set(generatorRef: string, dbRef: string): void {
    this.map.set(generatorRef.toUpperCase(), dbRef.toUpperCase());
  }

  get(generatorRef: string): string | undefined {
    return this.map.get(generatorRef.toUpperCase());
  }

  /** Known generator refs translated; unknown ones (a made-up "SUP-900123") left alone. */
  ref(generatorRef: string): string {
    return this.get(generatorRef) ?? generatorRef;
  }

  subject(subject: string, prefixes: string[]): string {
    const re = new RegExp(`(?<![\\p{L}\\p{N}])(${prefixes.join('|')})-(\\d{1,12})(?![\\p{L}\\p{N}])`, 'giu');
    return subject.replace(re, (whole) => {
      const mapped = this.get(whole);
      if (!mapped || mapped === whole.toUpperCase()) return whole;
      this.rewrittenSubjects++;
      return whole === whole.toLowerCase() ? mapped.toLowerCase() : mapped;
    });
  }

  /** A Message-ID, re-signed for the database's ref when it is a valid token for a translated ref. */
  messageId(id: string): string {
    const token = readThreadToken(id, this.secret);
    if (!token) return id;
    const mapped = this.get(token.ticketRef);
    if (!mapped || mapped === token.ticketRef) return id;
    const m = TOKEN.exec(id.trim());
    if (!m) return id;
    const fresh = makeMessageId({ ticketRef: mapped, nonce: m[3]!.toLowerCase() }, this.secret, m[5]!.toLowerCase());
    this.rewrittenTokens++;
    // Keep the case games of "reply-token-case-changed": all upper stays all upper.
    return id === id.toUpperCase() ? fresh.toUpperCase() : fresh;
  }
}

function encodeWord(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}

export interface RenderOptions {
  refs: RefMap;
  prefixes: string[];
  senders: Map<string, GeneratedSender>;
  /** Recipients per record kind, so routing follows the generator's intent. */
  recipients: { ticket: string[]; lead: string[] };
  date: Date;
}

/** RFC 822 text of a generated message, with its refs translated for the database. */
export function renderGenerated(m: GeneratedMessage, o: RenderOptions): string {
  const f = m.facts;
  const name = o.senders.get(f.from.address.toLowerCase())?.name;
  const [to, ...cc] = o.recipients[m.recordKind];
  const inReplyTo = f.inReplyTo ? o.refs.messageId(f.inReplyTo) : undefined;
  const references = f.references.map((r) => o.refs.messageId(r));
  const lines = [
    `From: ${name ? `${encodeWord(name)} <${f.from.address}>` : f.from.address}`,
    `To: ${to}`,
    ...(cc.length ? [`Cc: ${cc.join(', ')}`] : []),
    `Subject: ${encodeWord(o.refs.subject(f.subject, o.prefixes))}`,
    `Date: ${o.date.toUTCString()}`,
    `Message-ID: ${f.messageId}`,
    ...(inReplyTo ? [`In-Reply-To: ${inReplyTo}`] : []),
    ...(references.length ? [`References: ${references.join('\r\n ')}`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    // The generator's texts are Norwegian; the forwarded part may name refs too.
    o.refs.subject(f.text, o.prefixes).replace(/\r?\n/g, '\r\n'),
    '',
  ];
  return lines.join('\r\n');
}
