/**
 * Address normalisation used wherever Mailroom compares addresses: contact matching,
 * thread participants, acknowledgement rate limits.
 *
 * Decision: the whole address is lower-cased (RFC 5321 lets the local part be
 * case-sensitive, but no mailbox provider our customers use treats it so, and people
 * type their address in any case). Plus-tags (`kari+portal@…`) are KEPT by default:
 * a plus-address is often a deliberate separate identity (a filter, a role alias such as
 * our own `post+salg@`), and merging it silently with the bare address would mix two
 * people's data in an access request. Callers that want the looser match (e.g. "is this
 * the same person as a contact?" as a hint for staff) pass `{ stripPlusTag: true }`.
 */

export interface NormaliseOptions {
  /** Drop `+tag` from the local part (only for loose matching, never for storage). */
  stripPlusTag?: boolean;
}

/**
 * Lower-cases, trims and unwraps `<…>`/`mailto:`; returns '' for input without a usable
 * `local@domain` shape so callers can treat "no address" uniformly.
 */
export function normaliseAddress(address: string | null | undefined, options: NormaliseOptions = {}): string {
  if (!address) return '';
  let a = address.trim();
  const angle = /<([^<>]*)>/.exec(a);
  if (angle) a = angle[1].trim();
  a = a.replace(/^mailto:/i, '').trim().toLowerCase();
  // A trailing dot on the domain is valid DNS but never how a contact is stored.
  a = a.replace(/\.+$/, '');
  const at = a.lastIndexOf('@');
  if (at <= 0 || at === a.length - 1) return '';
  let local = a.slice(0, at);
  const domain = a.slice(at + 1);
  if (/\s/.test(local) || /[\s@]/.test(domain)) return '';
  if (options.stripPlusTag) {
    const plus = local.indexOf('+');
    if (plus > 0) local = local.slice(0, plus);
  }
  return `${local}@${domain}`;
}

/** Domain of an address, lower-cased; undefined when the address has none. */
export function domainOf(address: string | null | undefined): string | undefined {
  const n = normaliseAddress(address);
  if (!n) return undefined;
  return n.slice(n.lastIndexOf('@') + 1);
}

/** Local part of an address, lower-cased, plus-tag kept. */
export function localPartOf(address: string | null | undefined): string | undefined {
  const n = normaliseAddress(address);
  if (!n) return undefined;
  return n.slice(0, n.lastIndexOf('@'));
}

/**
 * Mailbox providers where a shared domain says nothing about a shared employer.
 * Organisations are never matched on these, and subject-token trust never extends to
 * "same domain" for them (a stranger at gmail.com is not a colleague).
 */
export const FREE_MAIL_DOMAINS: ReadonlySet<string> = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'outlook.no',
  'hotmail.com',
  'hotmail.no',
  'hotmail.co.uk',
  'live.com',
  'live.no',
  'msn.com',
  'yahoo.com',
  'yahoo.no',
  'yahoo.co.uk',
  'ymail.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'online.no',
  'aol.com',
  'proton.me',
  'protonmail.com',
  'protonmail.ch',
  'pm.me',
  'gmx.com',
  'gmx.net',
  'gmx.de',
  'mail.com',
  'yandex.com',
  'yandex.ru',
  'zoho.com',
  'hey.com',
  'fastmail.com',
  'fastmail.fm',
  'tutanota.com',
  'tuta.io',
  'start.no',
  'broadpark.no',
  'c2i.net',
  'frisurf.no',
  'getmail.no',
  'lyse.net',
  'altibox.no',
  'bluezone.no',
  'telenor.no',
  'web.de',
  'qq.com',
  '163.com',
]);

export function isFreeMailDomain(domain: string | null | undefined, extra: Iterable<string> = []): boolean {
  if (!domain) return false;
  const d = domain.trim().toLowerCase().replace(/\.+$/, '');
  if (FREE_MAIL_DOMAINS.has(d)) return true;
  for (const e of extra) if (e.trim().toLowerCase() === d) return true;
  return false;
}

/** The domain whose organisation an address belongs to: never a free-mail domain (gmail.com is nobody's company). */
export function organisationDomainOf(email: string): string | null {
  const domain = domainOf(email);
  return domain && !isFreeMailDomain(domain) ? domain : null;
}
