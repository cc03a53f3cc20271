/**
 * Signed thread tokens inside Mailroom's own Message-IDs.
 *
 * Every message Mailroom sends carries a Message-ID like
 *   <mr1.kncvaljqga3danzr.q7d2mxka.b6ua4w2rm3hqkv4z@infracomfort.example>
 *       ^ver ^base32(ticketRef)   ^nonce   ^HMAC-SHA256, 80 bits
 * A reply quotes it in In-Reply-To/References, which gives the strongest threading
 * signal there is: the sender must have received that message. The HMAC means nobody
 * can mint a token for a ticket they never got mail about.
 *
 * Everything is lower-case base32 because some MTAs and clients lower-case Message-IDs;
 * the ticket ref is base32-encoded (not written as-is) so its original case survives.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 'mr1';
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
/** 80 bits: far beyond guessing by sending mail, short enough for a header line. */
const SIGNATURE_BYTES = 10;
const NONCE_SHAPE = /^[a-z2-7]{1,32}$/;

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer | null {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of text.toLowerCase()) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return null;
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** A fresh nonce: keeps Message-IDs unique when one ticket sends many messages. */
export function randomNonce(): string {
  return base32Encode(randomBytes(5));
}

function sign(payload: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest().subarray(0, SIGNATURE_BYTES);
}

function payloadOf(encodedRef: string, nonce: string): string {
  return `${VERSION}.${encodedRef}.${nonce}`;
}

export interface ThreadTokenInput {
  ticketRef: string;
  /** [a-z2-7]{1,32}; generated when omitted. Case is ignored. */
  nonce?: string;
}

export function makeMessageId(input: ThreadTokenInput, secret: string, domain: string): string {
  if (!secret) throw new Error('makeMessageId: empty secret');
  if (!input.ticketRef || /[\s<>]/.test(input.ticketRef)) throw new RangeError(`bad ticketRef "${input.ticketRef}"`);
  const cleanDomain = domain.trim().toLowerCase();
  if (!/^[a-z0-9.-]+$/.test(cleanDomain)) throw new RangeError(`bad Message-ID domain "${domain}"`);
  const nonce = (input.nonce ?? randomNonce()).toLowerCase();
  if (!NONCE_SHAPE.test(nonce)) throw new RangeError('nonce must be 1-32 base32 characters [a-z2-7]');
  const encodedRef = base32Encode(Buffer.from(input.ticketRef, 'utf8'));
  const payload = payloadOf(encodedRef, nonce);
  const sig = base32Encode(sign(payload, secret));
  return `<${payload}.${sig}@${cleanDomain}>`;
}

const TOKEN = /(?:^|[<\s,])(mr1)\.([a-z2-7]+)\.([a-z2-7]{1,32})\.([a-z2-7]+)@[^\s<>]*/gi;

function verify(encodedRef: string, nonce: string, sig: string, secrets: readonly string[]): string | null {
  const given = base32Decode(sig);
  if (!given || given.length !== SIGNATURE_BYTES) return null;
  const payload = payloadOf(encodedRef.toLowerCase(), nonce.toLowerCase());
  let ok = false;
  // Check every key (no early exit) so timing does not reveal which one matched.
  for (const secret of secrets) {
    if (!secret) continue;
    if (timingSafeEqual(sign(payload, secret), given)) ok = true;
  }
  if (!ok) return null;
  const ref = base32Decode(encodedRef);
  if (!ref || ref.length === 0) return null;
  const text = ref.toString('utf8');
  // Round-trip check rejects non-canonical encodings of the same bytes.
  return base32Encode(ref) === encodedRef.toLowerCase() ? text : null;
}

/**
 * Reads the ticket ref from a Message-ID, an In-Reply-To or a whole References header.
 * With several valid tokens the LAST one wins: References lists oldest first, and the
 * newest message is the best statement of where the thread is now.
 * `secret` may be a list, so a rotated key keeps old threads working.
 */
export function readThreadToken(
  messageIdOrReferences: string | null | undefined,
  secret: string | readonly string[],
): { ticketRef: string } | null {
  if (!messageIdOrReferences) return null;
  const secrets = typeof secret === 'string' ? [secret] : secret;
  let found: string | null = null;
  for (const m of messageIdOrReferences.matchAll(TOKEN)) {
    const ref = verify(m[2], m[3], m[4], secrets);
    if (ref !== null) found = ref;
  }
  return found === null ? null : { ticketRef: found };
}
