/**
 * Who sent a privacy request, and whether we can believe it.
 *
 * - Answers go only to the address ON FILE that matches the From address (never Reply-To,
 *   never a contact-form field). A sender not on file gets a neutral reply and nothing else.
 * - Sender authentication: DMARC. When our own receiving MTA's authserv-id is configured, the
 *   TOPMOST Authentication-Results header (the one our MTA added) is trusted for `dmarc=`;
 *   headers further down can be forged by anyone. Otherwise the stored raw message is checked
 *   with mailauth (DKIM, SPF from the Received chain, DMARC policy lookups).
 * - `dmarc=pass` only spares the verification link; approval in Slack is always required.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { contactsWithEmail, otherPersonWithEmail } from './subject-store.ts';
import { normaliseAddress } from '../threading/normalise-address.ts';

export type DmarcResult = 'pass' | 'fail' | 'none' | 'temperror' | 'permerror' | 'unknown';

/** DNS resolver as mailauth calls it (`dns.promises.resolve` shape); tests pass a fake. */
export type Resolver = (name: string, rrtype: string) => Promise<unknown>;

export interface SenderCheckOptions {
  trustedAuthservId?: string;
  resolver?: Resolver;
  /** Upper bound for the DNS-based check (default 5 s); a timeout counts as `temperror`. */
  timeoutMs?: number;
}

/** Authentication-Results headers in the order they appear (topmost first), unfolded. */
export function authenticationResults(raw: Buffer | string): string[] {
  const text = (Buffer.isBuffer(raw) ? raw.subarray(0, 256 * 1024).toString('latin1') : raw.slice(0, 256 * 1024));
  const end = text.search(/\r?\n\r?\n/);
  const head = (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, ' ');
  return head
    .split(/\r?\n/)
    .filter((l) => /^authentication-results\s*:/i.test(l))
    .map((l) => l.slice(l.indexOf(':') + 1).trim());
}

/** The dmarc= result of the topmost Authentication-Results header, if our MTA wrote it. */
export function trustedDmarc(raw: Buffer | string, authservId: string): DmarcResult | null {
  const [top] = authenticationResults(raw);
  if (!top) return null;
  const id = top.split(';')[0]!.trim().split(/\s+/)[0]!.toLowerCase();
  if (id !== authservId.toLowerCase()) return null;
  const m = /(?:^|;)\s*dmarc\s*=\s*([a-z]+)/i.exec(top);
  if (!m) return 'none';
  const v = m[1]!.toLowerCase();
  return (['pass', 'fail', 'none', 'temperror', 'permerror'] as const).find((x) => x === v) ?? 'unknown';
}

export async function checkSenderAuthentication(raw: Buffer, opts: SenderCheckOptions = {}): Promise<DmarcResult> {
  if (opts.trustedAuthservId) {
    const trusted = trustedDmarc(raw, opts.trustedAuthservId);
    if (trusted) return trusted;
  }
  try {
    // Loaded on first use: mailauth brings DNS, ASN.1 and schema libraries every command would pay for.
    const { authenticate } = await import('mailauth');
    const run = authenticate(raw, { trustReceived: true, disableArc: true, disableBimi: true, ...(opts.resolver ? { resolver: opts.resolver } : {}) } as Parameters<typeof import('mailauth').authenticate>[1]);
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), opts.timeoutMs ?? 5000).unref());
    const res = await Promise.race([run, timeout]);
    if (res === 'timeout') return 'temperror';
    const dmarc = res.dmarc as false | { status?: { result?: string } };
    const v = (dmarc && dmarc.status?.result) || 'none';
    return (['pass', 'fail', 'none', 'temperror', 'permerror'] as const).find((x) => x === v) ?? 'unknown';
  } catch {
    return 'temperror';
  }
}

export interface PersonOnFile {
  /** The normalised address found in our records: the only address answers go to. */
  email: string;
  contactId: string | null;
  name: string | null;
}

/**
 * Looks the sender's From address up in every system that holds addresses. Only an exact
 * (normalised) match counts: a similar name or a lookalike domain is not the same person.
 */
export async function findPersonOnFile(em: EntityManager, fromAddress: string): Promise<PersonOnFile | null> {
  const email = normaliseAddress(fromAddress);
  if (!email || !email.includes('@')) return null;
  const [c] = await contactsWithEmail(em, email);
  if (c) return { email, contactId: String(c.id), name: c.name };
  const other = await otherPersonWithEmail(em, email);
  if (other) return { email, contactId: null, name: other.name };
  return null;
}
