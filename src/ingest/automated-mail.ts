/**
 * Recognise mail that no human wrote, so it is never answered: bounces (DSNs and the many
 * non-standard MTA formats), ARF feedback reports, auto-replies (RFC 3834 and friends),
 * mailing-list mail, and loops of our own mail.
 *
 * Order of checks (first match wins) and why:
 *  1. loop by our own X-Mailroom-Id header at top level: our own outgoing mail came back in
 *     unchanged; nothing else about it matters.
 *  2. feedback-report (ARF, RFC 5965): a complaint about mail we sent. Reported separately
 *     (kind 'feedback-report', recipients in `bounce.recipients` with hard=false and
 *     action 'complaint') — the caller should treat the recipient like an unsubscribe and
 *     never answer. It is checked before bounces because an ARF is a multipart/report too.
 *  3. bounce: RFC 3464 delivery-status parts, X-Failed-Recipients, or a known MTA's text
 *     format (tables below) from a daemon-like sender. Bounces often also carry
 *     Auto-Submitted (RFC 3464 recommends it), so they must be checked before auto-replies.
 *  4. loop by Message-ID / In-Reply-To / References at our own Message-ID domain, sent by a
 *     null or own-domain sender (e.g. an auto-reply of ours answering another of ours).
 *  5. auto-reply: Auto-Submitted ≠ no, X-Autoreply/X-Autorespond, X-Auto-Response-Suppress
 *     (All/OOF/AutoReply), Precedence bulk|junk, vendor vacation headers, then subjects.
 *  6. mailing-list: List-Id / List-Unsubscribe / List-Post / Precedence: list.
 *  7. human.
 *
 * An unrecognised bounce format from a daemon that still says Auto-Submitted falls to
 * 'auto-reply': wrong bucket, but never answered (sisimai's not/rb-issue-368-bug is one).
 */
import type { ParsedMessage, ParsedAttachment } from './parse-message.ts';

export type AutomatedKind = 'bounce' | 'auto-reply' | 'mailing-list' | 'loop' | 'feedback-report' | 'human';

export interface BounceRecipient {
  address: string;
  /** enhanced status code, e.g. "5.1.1" */
  status?: string;
  /** DSN Action (failed, delayed, …), or 'complaint' for feedback reports */
  action?: string;
  diagnostic?: string;
  hard: boolean;
}

export interface AutomatedMailResult {
  kind: AutomatedKind;
  bounce?: {
    recipients: BounceRecipient[];
    /** MTA family whose format matched (dsn, exim, qmail, …) */
    format?: string;
    /** Message-ID of the returned original, when it is included */
    originalMessageId?: string;
    /** ARF Feedback-Type (abuse, fraud, …) for feedback reports */
    feedbackType?: string;
  };
  reason: string;
}

export interface RecogniseOptions {
  /** our own mail domains (From of our outgoing mail, the shared inbox) */
  ownDomains: string[];
  /** domain of Message-IDs Mailroom generates (`<…@ownMessageIdDomain>`) */
  ownMessageIdDomain?: string;
}

// ---------------------------------------------------------------------------------------------
// Pattern tables
// ---------------------------------------------------------------------------------------------

/** Local parts / display names of the daemons that send bounces. */
const DAEMON_SENDER =
  /^(mailer[-_.]?daemon|mail[-_.]?daemon|post[-_.]?master|mail[-_.]?delivery[-_.]?(system|subsystem)?|mail\.delivery\.system|mdaemon|mailerdaemon|mail[-_.]?administrator|mail[-_.]?system|bounce[sd]?|nobody|mail|smtp|daemon|mta|deliverystatus|delivery[-_.]?status|mailadmin|notification|root|no[-_.]?reply|msexchange|microsoftexchange[0-9a-f]*|notes|mailmaster|auto[-_.]?reply)$/i;
const DAEMON_NAME =
  /mail delivery (system|subsystem|service)|mailer[- ]daemon|postmaster|mail administrator|delivery status|mail system|microsoft outlook|returned mail|undeliverable|mail delivery|delivery subsystem|delivery notification|メール配信|postmaster|MAILER-DAEMON/i;

/**
 * Subjects of bounces, many MTAs and languages. Deliberately without the bare word "bounce"
 * (newsletters and humans use it) and without "auto reply" style phrases.
 */
const BOUNCE_SUBJECT: RegExp[] = [
  /undeliver(ed|able)|non[- ]?deliver(y|able)|not delivered|could not be delivered|cannot be delivered|can't be delivered|couldn't be delivered|delivery (status notification|failure|failed|problem|report|has failed|notification)|delivery status|failure notice|returned mail|returning (message|to sender)|mail failed|fail(ed|ure) delivery|mail delivery (failed|failure|system|problem)|mail system error|message (not )?delivered|message delivery|delivery error|permanent (delivery )?(error|failure)|rejected|mail could not be|message failure|message you sent|unable to deliver|warning: could not send|delayed mail|delivery (delayed|notice)|returned to sender|delivery final failure|nondeliverable|unzustellbar|non remis|échec de (la )?remise|zustellung fehlgeschlagen|no se ha podido entregar|mail failure|не доставлено|配信|送信エラー|エラー|returned|message status|DSN|NDN|NDR|mail (was )?not sent|mailbox (full|unavailable)|user unknown|unknown user|sisimai/i,
];

/**
 * Text markers of bounce formats, per MTA family. A match (with a daemon-like sender or a
 * null Return-Path, or a bounce subject) makes the message a bounce. The family name is
 * reported for diagnostics. Learnt from the formats in sisimai's lhost modules.
 */
const MTA_MARKERS: { family: string; re: RegExp; strong?: boolean }[] = [
  { family: 'qmail', re: /This is the qmail-send program|I'm afraid I wasn't able to deliver your message|\(#[45]\.\d\.\d+\)/ },
  { family: 'exim', re: /This message was created automatically by mail delivery software|The following address\(es\) failed|address\(es\) deferred|could not be delivered to one or more of its\s+recipients/i },
  { family: 'postfix', re: /This is the mail system at host|I'm sorry to have to inform you that your message could not|Delivery to the following recipient(s)? (failed|was aborted|has been delayed)/i },
  { family: 'smail', re: /Failed addresses follow|Message log follows/i },
  { family: 'fml', re: /You are not a member of this mailing list|^Duplicated Message-ID in </im, strong: true },
  { family: 'verizon', re: /Error: Invalid user address|Error message below:/i },
  { family: 'kddi', re: /Could not be delivered to:\s*<|Your mail sent on:/i },
  { family: 'x2', re: /Unable to deliver message to the following address\(es\)/i },
  { family: 'x6', re: /We had trouble delivering your message|The following recipients returned (permanent|temporary) errors/i },
  { family: 'sendmail', re: /The original message was received at|^[- ]*Transcript of session follows|-+ ?The following addresses had (permanent )?(fatal )?(delivery )?(errors|problems) ?-+|Message could not be delivered|Your message could not be delivered/i },
  { family: 'dragonfly', re: /This is the DragonFly Mail Agent|There was an error delivering your mail to/ },
  { family: 'gmail', re: /Delivery to the following recipients? failed( permanently)?|Technical details of (permanent|temporary) failure|Google tried to deliver your message|Your message wasn't delivered|Message not delivered|Address not found|The response (was|from the remote server was)/i },
  { family: 'yahoo', re: /Sorry, we were unable to deliver your message|Remote host said:/i },
  { family: 'exchange', re: /Delivery has failed to these recipients or (groups|distribution lists)|Your message (couldn't|could not|did not|wasn't|can't) (be )?(deliver|reach)|The following recipient\(s\) (could|cannot) not be reached|did not reach the following recipient|Your message did not reach some or all of the intended recipients|Delivery is delayed to these recipients|could not be delivered because|#< ?#?[45]\.\d\.\d+|Diagnostic information for administrators/i },
  { family: 'notes', re: /Your message\s+was not delivered to|Failed to deliver to the following recipient|User's mailbox is full|Lotus Domino|was not delivered to:/i },
  { family: 'courier', re: /This is a delivery status notification from|Courier mail server/i },
  { family: 'opensmtpd', re: /This is the MAILER-DAEMON|An error has occurred while attempting to deliver a message|Delivery to the following recipients? (was )?(failed|has failed|is delayed)/i },
  { family: 'mailru', re: /Ваше сообщение не доставлено|письмо не может быть доставлено|отвечать на него не нужно/ },
  { family: 'googlegroups', re: /Google Groups|グループ.*存在しない|The group you tried to contact/ },
  { family: 'amazonses', re: /"notificationType"\s*:\s*"Bounce"|"bounceType"|An error occurred while trying to deliver the mail to the following recipients|amazonses/i },
  { family: 'japanese', re: /送信(でき|され)ませんでした|配信(でき|され)ませんでした|宛先(不明|が見つかりません)|メールを(配信|送信)できません|届きませんでした|unknown user|user unknown/i },
  {
    family: 'generic',
    re: /could not be delivered|undeliverable|couldn't be delivered|delivery (has )?failed|permanent(ly)? (error|fail)|unable to deliver|delivery (to|failed for) the following|following (address(es)?|recipients?) (had|failed|could not|have)|mailbox (is )?(full|unavailable|not found|does not exist)|no such (user|mailbox|recipient)|user (unknown|not found|doesn't exist)|unknown (user|recipient|address)|recipient (address )?rejected|message (was|has been) (rejected|bounced|blocked)|returned mail|not (be )?delivered|delivery error|failed recipient|SMTP error|\b55[0-4][- ]|Diagnostic-Code:|Final-Recipient:|Status: [45]\.\d/i,
  },
];
const STRONG_MARKERS = MTA_MARKERS.filter((m) => m.strong).map((m) => m.re);

/** Lines that start the returned copy of the original message (cut the bounce text there). */
const ORIGINAL_DELIMITERS: RegExp[] = [
  /^[-=_*#\s]*(below this line is a copy of the message|this is a copy of the message|original message( follows| headers?)?|message headers follow|undelivered message( headers)?( follows)?|unsent message below|the header of the original message|returned message|headers of the original message|original mail|forwarded message|copy of the (original )?message|your message reads|the original message headers|rfc822 message|text of (the )?returned message|included is a copy|message text follows|here is a copy of the first part|bounced e-?mail)/im,
  /^(Return-Path|Received|DKIM-Signature|Delivered-To|X-Originating-IP|Authentication-Results|ARC-Seal|X-Google-Smtp-Source|X-Received|Message-ID|MIME-Version):\s/im,
];

/** Auto-reply subjects. Strong = at the start of the subject (how auto-responders do it). */
const AUTOREPLY_SUBJECT_STRONG =
  /^\s*(auto(matic|matisk)?[- ]?(reply|response|svar|respons|antwort|réponse|risposta|respuesta)|autosvar|autoreply|autorespons\w*|out of (the )?office|fraværsmelding|ikke til stede|ikke på kontoret|away from (the )?office|abwesenheitsnotiz|réponse automatique|i am (currently )?(out|away)|away until|ooo\b)/i;
/**
 * Words a person also puts in a subject ("Ferie" over a question about frost protection while
 * away, "Absence of heat"): strong only in the prefix form auto-responders use ("Ferie: Re: …");
 * otherwise they count as weak, together with an auto-reply body phrase.
 */
const AUTOREPLY_SUBJECT_PREFIX = /^\s*(på ferie|ferie|fravær(ende)?|vacation|absence|on leave|on holiday|abwesenheit)\s*[:–-]/i;
/** Weaker: anywhere in the subject; only counts together with an auto-reply body phrase. */
const AUTOREPLY_SUBJECT_WEAK = /fravær|ferie|out of (the )?office|vacation|absence|on leave|on holiday|away|abwesen|autoreply|auto-reply|automatic reply|automatisk svar|ikke til stede/i;
// "Jeg er på ferie" / "Er på ferie til …" (first person, or a sentence that starts with it),
// not "medan vi er bortreiste i jula" in a customer's question about going away.
const AUTOREPLY_BODY =
  /(\b(jeg|eg) er|(^|[.!]\s*)er) (på ferie|bortreist\b|ikke (til stede|på kontoret)|fraværende|borte\b)|tilbake (igjen )?(den|på|mandag|tirsdag|onsdag|torsdag|fredag|\d)|(i am|i'm) (currently )?(out of (the )?office|away|on (vacation|holiday|leave))|(will|i'll) (be )?(back|return|respond)|returning (to the office )?on|limited access to (my )?e-?mail|this is an automat(ic|ed) (reply|response|message)|dette er et automatisk svar|automatisk (svar|melding)/im;

/** Header values meaning "auto-replied" for the non-standard headers. */
const X_AUTO_RESPONSE_SUPPRESS_AUTOREPLY = /\b(all|oof|autoreply)\b/i;

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

function hdr(p: ParsedMessage, name: string): string | undefined {
  const v = p.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const ADDR_G = /[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+/g;

function cleanAddr(a: string): string {
  return a.replace(/^[.'"<(\[]+|[.'">)\],;:]+$/g, '').toLowerCase();
}

function domainOf(a: string | undefined): string {
  return (a ?? '').split('@').pop()?.toLowerCase() ?? '';
}

function isDaemonAddress(a: string): boolean {
  return /^(mailer[-_.]?daemon|postmaster|mail[-_.]?daemon|mailerdaemon|mail\.delivery\.system|double-bounce)$/i.test(a.split('@')[0] ?? '');
}

function statusClass(status: string | undefined): 'hard' | 'soft' | undefined {
  if (!status) return undefined;
  if (/^5/.test(status)) return 'hard';
  if (/^4/.test(status)) return 'soft';
  return undefined;
}

const SOFT_TEXT =
  /temporar|try again|retry|will be retried|deferred|delayed|still trying|not yet been delivered|mailbox (is )?full|over ?quota|quota exceeded|insufficient (system )?storage|too many (connections|messages)|rate limit|greylist|grey-list|try later/i;

/** Decide hard/soft from status, action and diagnostic text. */
function hardness(status: string | undefined, action: string | undefined, diag: string | undefined): boolean {
  if (action && /delayed|relayed|delivered|expanded/i.test(action)) return false;
  const c = statusClass(status);
  if (c) return c === 'hard';
  const text = diag ?? '';
  const smtp = /\b([45])\d\d\b/.exec(text);
  if (/\b5\.\d{1,3}\.\d{1,3}\b/.test(text)) return true;
  if (/\b4\.\d{1,3}\.\d{1,3}\b/.test(text)) return false;
  if (smtp) return smtp[1] === '5';
  return !SOFT_TEXT.test(text);
}

/** First enhanced status code in the text, preferring failure classes (4/5) over 2.x.x. */
function findStatus(text: string | undefined): string | undefined {
  const m = /\b([45])\.(\d{1,3})\.(\d{1,3})\b/.exec(text ?? '') ?? /\b(2)\.(\d{1,3})\.(\d{1,3})\b/.exec(text ?? '');
  return m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}

function attText(a: ParsedAttachment, max = 256 * 1024): string {
  if (!a.content) return '';
  return a.content.subarray(0, max).toString('utf8');
}

/** Unfold and split "Name: value" fields of a header-like block. */
function fieldBlocks(text: string): Map<string, string>[] {
  const blocks: Map<string, string>[] = [];
  for (const chunk of text.replace(/\r\n/g, '\n').split(/\n\s*\n/)) {
    const m = new Map<string, string>();
    const unfolded = chunk.replace(/\n[ \t]+/g, ' ');
    for (const line of unfolded.split('\n')) {
      const i = line.indexOf(':');
      if (i <= 0) continue;
      const k = line.slice(0, i).trim().toLowerCase();
      if (!/^[a-z0-9-]+$/.test(k)) continue;
      if (!m.has(k)) m.set(k, line.slice(i + 1).trim());
    }
    if (m.size) blocks.push(m);
  }
  return blocks;
}

function addrFromTyped(v: string | undefined): string | undefined {
  if (!v) return undefined;
  // "rfc822; user@example.com", "RFC822;<user@x>", "LOCAL;user@x"
  const afterType = v.includes(';') ? v.slice(v.indexOf(';') + 1) : v;
  const m = afterType.match(ADDR_G) ?? v.match(ADDR_G);
  return m ? cleanAddr(m[0]) : undefined;
}

/** Per-recipient fields of an RFC 3464 delivery-status body (all actions). */
function parseDeliveryStatus(text: string): BounceRecipient[] {
  const out: BounceRecipient[] = [];
  for (const b of fieldBlocks(text)) {
    const finalR = addrFromTyped(b.get('final-recipient'));
    const origR = addrFromTyped(b.get('original-recipient'));
    const address = finalR ?? origR;
    if (!address) continue;
    const action = b.get('action')?.toLowerCase().split(/\s/)[0];
    const status = findStatus(b.get('status')) ?? findStatus(b.get('diagnostic-code'));
    const diagnostic = b.get('diagnostic-code')?.replace(/\s+/g, ' ').trim();
    out.push({ address, status, action, diagnostic, hard: hardness(status, action, diagnostic) });
  }
  return out;
}

/**
 * DSN actions that are not failures: delivered/relayed/expanded (RFC 3464) and Postfix's
 * "deliverable" (address verification report). A report with only these is no bounce.
 */
const SUCCESS_ACTION = /^(delivered|relayed|expanded|deliverable)$/;
const isFailure = (r: BounceRecipient) => !(r.action && SUCCESS_ACTION.test(r.action)) && !/^2\./.test(r.status ?? '');

/** Header-ish block of the returned original (attachment, or text after the delimiter). */
function originalHeaders(p: ParsedMessage, afterDelimiter: string): Map<string, string> {
  for (const a of p.attachments) {
    if (/^(message\/rfc822|text\/rfc822-headers|message\/rfc822-headers|message\/global(-headers)?)$/.test(a.contentType)) {
      const t = attText(a, 128 * 1024);
      const blocks = fieldBlocks(t);
      if (blocks[0]) return blocks[0];
    }
  }
  const blocks = fieldBlocks(afterDelimiter);
  // pick the block that looks most like a message header
  let best = new Map<string, string>();
  for (const b of blocks) {
    if (b.has('message-id') || b.has('subject') || b.has('from')) {
      if (b.size > best.size) best = b;
    }
  }
  return best;
}

function splitAtOriginal(text: string): [string, string] {
  let cut = text.length;
  for (const re of ORIGINAL_DELIMITERS) {
    const m = re.exec(text);
    if (m && m.index < cut && m.index > 0) cut = m.index;
  }
  return [text.slice(0, cut), text.slice(cut)];
}

/** Lines that introduce failed recipients in free-text bounces. */
const LEAD_IN =
  /(following (address(es)?|recipients?)|to these recipients|recipients? failed|was not delivered to|delivery to|deliver(ing)? (your )?(mail|message)? ?to|could not be delivered to|failed to deliver to|unable to deliver|error delivering|address(es)? failed|addresses had|undeliverable to|cannot be reached|recipient|original-recipient|宛先|送信先|受信者|получател|destinataire|empfänger)/i;

/**
 * Free-text recipient extraction: addresses in the bounce's own text (before the returned
 * copy). Addresses are ranked:
 *   tier 0  explicit envelope recipient: "RCPT TO:<a>", "ORCPT=rfc822;a", "mailing list <a>" (fml)
 *   tier 1  at line start ("<a>:", "a [reason]", "* a") — the most common list shape
 *   tier 2  after "recipient:/address:/user/mailbox/to <", or within 3 lines after a lead-in
 *           line ("The following addresses failed", "Delivery to …", "宛先" …)
 *   tier 3  anywhere else
 * Daemons and the bounce's own From are never recipients. The sender side (bounce To,
 * original From/Return-Path) is skipped unless it is the only tier-0/1/2 candidate (people do
 * send to themselves).
 */
function textRecipients(
  bounceText: string,
  hardExclude: Set<string>,
  softExclude: Set<string>,
): { address: string; diagnostic: string }[] {
  const lines = bounceText.split('\n');
  type C = { address: string; idx: number; tier: number; soft: boolean };
  const cands: C[] = [];
  let leadIn = -10;
  lines.forEach((line, idx) => {
    if (LEAD_IN.test(line)) leadIn = idx;
    const found = line.match(ADDR_G);
    if (!found) return;
    for (const raw of found) {
      const a = cleanAddr(raw);
      if (hardExclude.has(a) || isDaemonAddress(a)) continue;
      const esc = raw.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      let tier = 3;
      if (new RegExp(`(RCPT TO:?\\s*<?|ORCPT=rfc822;\\s*|mailing list\\s+<|Duplicated Message-ID in\\s+<)${esc}`, 'i').test(line)) tier = 0;
      else if (new RegExp(`^\\s*[*•\\-]?\\s*<?${esc}>?\\s*(:|\\[|\\(|$|\\.\\.\\.|,|\\s{2}|on behalf)`, 'i').test(line)) tier = 1;
      else if (
        new RegExp(`(to\\s+<|recipient:?\\s*<?|address:?\\s*<?|user\\s+<?|mailbox\\s+<?)${esc}`, 'i').test(line) ||
        idx - leadIn <= 3
      )
        tier = 2;
      cands.push({ address: a, idx, tier, soft: softExclude.has(a) });
    }
  });
  const pickTier = (allowSoft: boolean): C[] => {
    for (const t of [0, 1, 2]) {
      const l = cands.filter((c) => c.tier === t && (allowSoft || !c.soft));
      if (l.length) return l;
    }
    return [];
  };
  let pick = pickTier(false);
  let positional = true;
  if (!pick.length) pick = pickTier(true);
  if (!pick.length) {
    pick = cands.filter((c) => !c.soft).slice(0, 1);
    positional = false;
  }
  const seen = new Set<string>();
  const out: { address: string; diagnostic: string }[] = [];
  const first = pick[0]?.idx ?? 0;
  for (const c of pick) {
    // keep the first recipient cluster only (contact addresses come later in the text)
    if (seen.has(c.address) || c.idx - first > 30) continue;
    seen.add(c.address);
    const diag = lines
      .slice(c.idx, c.idx + 4)
      .join(' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 400);
    out.push({ address: c.address, diagnostic: diag });
    if (out.length >= 50 || !positional) break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------------

/** How much of the body text the detectors read. */
const TEXT_SCAN_CHARS = 16 * 1024;

export function recogniseAutomatedMail(
  parsed: ParsedMessage,
  raw?: Buffer | null,
  opts: RecogniseOptions = { ownDomains: [] },
): AutomatedMailResult {
  const ownDomains = new Set(opts.ownDomains.map((d) => d.toLowerCase()));
  const fromAddr = (parsed.from?.address ?? '').toLowerCase();
  const fromName = parsed.from?.name ?? '';
  const returnPath = (hdr(parsed, 'return-path') ?? '').trim();
  const nullSender = /^<\s*>$/.test(returnPath);
  const fromLocal = fromAddr.split('@')[0] ?? '';
  const daemonSender =
    DAEMON_SENDER.test(fromLocal) || DAEMON_NAME.test(fromName) || nullSender || !fromAddr;
  const subject = parsed.subject ?? '';

  // 1. our own mail returning
  if (hdr(parsed, 'x-mailroom-id')) return { kind: 'loop', reason: 'carries our own X-Mailroom-Id header' };

  // all text the bounce detectors read: body text + small text parts kept as attachments.
  // What a bounce says comes first; the tail of a long body (quoted mail, pasted logs) only
  // costs regular-expression time.
  let text = (parsed.text ?? '').slice(0, TEXT_SCAN_CHARS);
  if (!text.trim() && parsed.html) text = parsed.html.replace(/<[^>]+>/g, ' ');
  if (!text.trim() && raw) {
    // nothing decoded (broken MIME): read the raw body as text, best effort
    const s = raw.subarray(0, 512 * 1024).toString('utf8');
    const i = s.search(/\r?\n\r?\n/);
    text = i >= 0 ? s.slice(i).replace(/\r\n/g, '\n') : '';
  }
  // text parts that mailparser kept as attachments (odd Content-Type/Disposition) are part
  // of what the bounce says; HTML is reduced to its text
  for (const a of parsed.attachments) {
    if (/^text\/(plain|html)\b/.test(a.contentType) && a.content && a.content.length < 256 * 1024) {
      const t = attText(a);
      text += '\n' + (a.contentType === 'text/html' ? t.replace(/<[^>]+>/g, ' ') : t);
    }
  }
  const dsnParts = parsed.attachments.filter((a) => /^message\/(global-)?delivery-status$/.test(a.contentType));
  const arfParts = parsed.attachments.filter((a) => a.contentType === 'message/feedback-report');
  const reportType = (parsed.contentTypeParams['report-type'] ?? '').toLowerCase();

  // 2. ARF feedback report
  const feedbackInText = /^Feedback-Type:\s*\S+/im.test(text) && /^(User-Agent|Version|Original-Rcpt-To|Arrival-Date|Source-IP):/im.test(text);
  if (arfParts.length || reportType === 'feedback-report' || feedbackInText) {
    const fields = arfParts.length ? fieldBlocks(attText(arfParts[0])) : fieldBlocks(text);
    const f = fields.find((b) => b.has('feedback-type')) ?? new Map<string, string>();
    const [, after] = splitAtOriginal(text);
    const orig = originalHeaders(parsed, after || text);
    const rcpts = new Set<string>();
    for (const k of ['original-rcpt-to', 'removal-recipient']) {
      const a = addrFromTyped(f.get(k));
      if (a) rcpts.add(a);
    }
    if (!rcpts.size) {
      const to = orig.get('to')?.match(ADDR_G);
      if (to) rcpts.add(cleanAddr(to[0]));
    }
    return {
      kind: 'feedback-report',
      bounce: {
        recipients: [...rcpts].map((address) => ({ address, action: 'complaint', hard: false })),
        format: 'arf',
        feedbackType: f.get('feedback-type')?.toLowerCase(),
        originalMessageId: orig.get('message-id')?.match(/<[^>]+>/)?.[0],
      },
      reason: `ARF feedback report (${f.get('feedback-type') ?? 'unknown type'})`,
    };
  }
  // Apple Mail's one-click "unsubscribe" (List-Unsubscribe mailto): an automated request,
  // not an ARF, but it means the same to us: stop mailing this address, never answer
  if (/^true$/i.test(hdr(parsed, 'x-apple-unsubscribe') ?? '')) {
    return {
      kind: 'feedback-report',
      bounce: { recipients: fromAddr ? [{ address: fromAddr, action: 'unsubscribe', hard: false }] : [], format: 'apple-unsubscribe', feedbackType: 'unsubscribe' },
      reason: 'Apple Mail unsubscribe request (X-Apple-Unsubscribe)',
    };
  }
  // Hotmail/Outlook JMRP complaints come without ARF headers but from staff@hotmail.com
  if (/^staff@hotmail\.com$/.test(fromAddr) && /complaint about message/i.test(subject)) {
    const [, after] = splitAtOriginal(text);
    const orig = originalHeaders(parsed, after || text);
    const to = orig.get('to')?.match(ADDR_G) ?? text.match(/^To:\s*(.*)$/im)?.[1]?.match(ADDR_G);
    return {
      kind: 'feedback-report',
      bounce: {
        recipients: to ? [{ address: cleanAddr(to[0]), action: 'complaint', hard: false }] : [],
        format: 'hotmail-jmrp',
      },
      reason: 'Hotmail complaint report (JMRP)',
    };
  }

  // 3. bounces
  let dsnRecipients: BounceRecipient[] = [];
  for (const part of dsnParts) dsnRecipients.push(...parseDeliveryStatus(attText(part)));
  // DSN fields pasted into the text (several MTAs put them in text/plain)
  if (!dsnRecipients.length && /^Final-Recipient:/im.test(text)) {
    const from = text.search(/^(Reporting-MTA|Original-Envelope-Id|Final-Recipient|Received-From-MTA|Arrival-Date):/im);
    dsnRecipients.push(...parseDeliveryStatus(text.slice(from)));
  }
  // a bounce that returns a bounce (the attached message is itself a DSN)
  if (!dsnRecipients.length) {
    for (const a of parsed.attachments) {
      if (a.contentType !== 'message/rfc822') continue;
      const t = attText(a);
      if (/^Final-Recipient:/im.test(t) && /^Action:\s*(failed|delayed)/im.test(t)) {
        dsnRecipients.push(...parseDeliveryStatus(t.slice(t.search(/^(Reporting-MTA|Final-Recipient|Original-Recipient):/im))));
      }
    }
  }
  const dsnAll = dsnRecipients;
  dsnRecipients = dsnRecipients.filter(isFailure);
  if (dsnAll.length && !dsnRecipients.length) {
    return { kind: 'auto-reply', reason: `delivery report without failures (actions: ${[...new Set(dsnAll.map((r) => r.action ?? '?'))].join(', ')})` };
  }
  // Amazon SES notifications forwarded as mail: JSON with notificationType
  const sesType = /"notificationType"\s*:\s*"(\w+)"/.exec(text)?.[1];
  if (sesType === 'Delivery') return { kind: 'auto-reply', reason: 'Amazon SES delivery notification (not a failure)' };
  if (sesType === 'Complaint') {
    const list = /"complainedRecipients"\s*:\s*\[([\s\S]*?)\]/.exec(text)?.[1] ?? '';
    return {
      kind: 'feedback-report',
      bounce: {
        recipients: [...list.matchAll(/"emailAddress"\s*:\s*"([^"]+)"/g)].map((m) => ({ address: cleanAddr(m[1]), action: 'complaint', hard: false })),
        format: 'amazonses',
        feedbackType: /"complaintFeedbackType"\s*:\s*"([^"]+)"/.exec(text)?.[1] ?? 'complaint',
      },
      reason: 'Amazon SES complaint notification',
    };
  }
  const xFailed = (Array.isArray(parsed.headers['x-failed-recipients'])
    ? (parsed.headers['x-failed-recipients'] as string[]).join(',')
    : hdr(parsed, 'x-failed-recipients') ?? ''
  ).match(ADDR_G);
  const bounceSubject = BOUNCE_SUBJECT.some((re) => re.test(subject));
  // The markers are two dozen regular expressions over up to 16 KB of text. For mail from a
  // person with an ordinary subject only a strong marker can count, so the rest run only when
  // they can change the verdict (or name the format of a bounce).
  let markerFound: (typeof MTA_MARKERS)[number] | undefined | null = null;
  const findMarker = () => (markerFound === null ? (markerFound = MTA_MARKERS.find((m) => m.re.test(text))) : markerFound);
  const strongMarker = () => STRONG_MARKERS.some((re) => re.test(text)) && !!findMarker()?.strong;
  const isReport = parsed.contentType === 'multipart/report' && /delivery-status/.test(reportType);
  const amazonJson = /"notificationType"\s*:\s*"Bounce"/.test(text);

  const bounceEvidence =
    dsnRecipients.length > 0 ||
    isReport ||
    !!xFailed ||
    amazonJson ||
    // the 'generic' phrases alone ("rejected", "mailbox full") are too weak even from a
    // daemon: they need a bounce subject too
    (daemonSender && (bounceSubject || (findMarker()?.family ?? 'generic') !== 'generic')) ||
    (bounceSubject && (findMarker()?.family ?? 'generic') !== 'generic') ||
    strongMarker();

  if (bounceEvidence) {
    const [bounceText, after] = splitAtOriginal(text);
    const orig = originalHeaders(parsed, after);
    const hardExclude = new Set<string>([fromAddr]);
    const exclude = new Set<string>([fromAddr]);
    const add = (v: string | undefined) => {
      for (const a of v?.match(ADDR_G) ?? []) exclude.add(cleanAddr(a));
    };
    for (const t of parsed.to) add(t.address);
    add(returnPath);
    add(orig.get('from'));
    add(orig.get('return-path'));
    add(orig.get('sender'));
    let recipients: BounceRecipient[] = [];
    let format = findMarker()?.family;
    if (dsnRecipients.length) {
      recipients = dsnRecipients;
      format = 'dsn';
    } else if (amazonJson) {
      format = 'amazonses';
      const json = /"bouncedRecipients"\s*:\s*\[([\s\S]*?)\]/.exec(text);
      const type = /"bounceType"\s*:\s*"(\w+)"/.exec(text)?.[1];
      for (const m of (json?.[1] ?? '').matchAll(/"emailAddress"\s*:\s*"([^"]+)"[^}]*?(?:"status"\s*:\s*"([^"]+)")?[^}]*?(?:"diagnosticCode"\s*:\s*"([^"]*)")?/g)) {
        const status = findStatus(m[2]);
        recipients.push({ address: cleanAddr(m[1]), status, diagnostic: m[3], hard: type ? type === 'Permanent' : hardness(status, undefined, m[3]) });
      }
    }
    if (!recipients.length && xFailed) {
      format ??= 'x-failed-recipients';
      for (const a of new Set(xFailed.map(cleanAddr))) {
        const idx = bounceText.toLowerCase().indexOf(a);
        const diag = idx >= 0 ? bounceText.slice(idx, idx + 400).replace(/\s+/g, ' ').trim() : undefined;
        const status = findStatus(diag);
        recipients.push({ address: a, status, diagnostic: diag, hard: hardness(status, undefined, diag ?? bounceText) });
      }
    }
    if (!recipients.length) {
      for (const c of textRecipients(bounceText, hardExclude, exclude)) {
        const status = findStatus(c.diagnostic) ?? findStatus(bounceText);
        recipients.push({ address: c.address, status, diagnostic: c.diagnostic, hard: hardness(status, undefined, c.diagnostic + ' ' + bounceText) });
      }
    }
    if (!recipients.length) {
      // last resort: the original's single To
      const to = [...new Set((orig.get('to')?.match(ADDR_G) ?? []).map(cleanAddr))].filter((a) => !exclude.has(a));
      if (to.length === 1) {
        const status = findStatus(bounceText);
        recipients.push({ address: to[0], status, diagnostic: bounceText.replace(/\s+/g, ' ').trim().slice(0, 400), hard: hardness(status, undefined, bounceText) });
        format = `${format ?? 'unknown'}+original-to`;
      }
    }
    return {
      kind: 'bounce',
      bounce: {
        recipients,
        format,
        originalMessageId: orig.get('message-id')?.match(/<[^>]+>/)?.[0],
      },
      reason: dsnRecipients.length
        ? 'delivery status notification (RFC 3464)'
        : `bounce (${format ?? 'unknown format'}${recipients.length ? '' : ', recipient not found'})`,
    };
  }

  // 4. loops via our own Message-ID domain
  if (opts.ownMessageIdDomain) {
    const dom = opts.ownMessageIdDomain.toLowerCase();
    const ids = [parsed.messageId, parsed.inReplyTo, ...parsed.references].filter(Boolean) as string[];
    const ours = ids.some((id) => id.toLowerCase().replace(/>$/, '').endsWith('@' + dom));
    const ownSender = nullSender || (fromAddr !== '' && ownDomains.has(domainOf(fromAddr))) || !fromAddr;
    if (ours && ownSender) {
      return { kind: 'loop', reason: `references our Message-ID domain ${dom} and comes from a null/own sender` };
    }
  }

  // 5. auto-replies
  const autoSubmitted = hdr(parsed, 'auto-submitted');
  if (autoSubmitted && !/^\s*no\b/i.test(autoSubmitted)) {
    return { kind: 'auto-reply', reason: `Auto-Submitted: ${autoSubmitted}` };
  }
  for (const h of ['x-autoreply', 'x-autorespond', 'x-autoresponder', 'x-autogenerated', 'x-auto-reply']) {
    const v = hdr(parsed, h);
    if (v !== undefined && !/^\s*(no|false|0)\s*$/i.test(v)) return { kind: 'auto-reply', reason: `${h}: ${v}` };
  }
  const suppress = hdr(parsed, 'x-auto-response-suppress');
  if (suppress && X_AUTO_RESPONSE_SUPPRESS_AUTOREPLY.test(suppress) && (AUTOREPLY_SUBJECT_WEAK.test(subject) || AUTOREPLY_BODY.test(text))) {
    // Outlook puts this on ordinary mail too; alone it only means "do not auto-answer me",
    // so it counts together with an auto-reply subject/body
    return { kind: 'auto-reply', reason: `X-Auto-Response-Suppress: ${suppress} with auto-reply wording` };
  }
  const apple = hdr(parsed, 'x-apple-action');
  if (apple && /vacation/i.test(apple)) return { kind: 'auto-reply', reason: 'X-Apple-Action: VACATION' };
  const precedence = (hdr(parsed, 'precedence') ?? '').trim().toLowerCase();
  const listHeaders = ['list-id', 'list-unsubscribe', 'list-post', 'list-help'].filter((h) => hdr(parsed, h) !== undefined);
  if (precedence === 'bulk' || precedence === 'junk') {
    if (listHeaders.length) return { kind: 'mailing-list', reason: `Precedence: ${precedence} with ${listHeaders.join(', ')}` };
    return { kind: 'auto-reply', reason: `Precedence: ${precedence}` };
  }
  if (AUTOREPLY_SUBJECT_STRONG.test(subject) || AUTOREPLY_SUBJECT_PREFIX.test(subject)) return { kind: 'auto-reply', reason: `auto-reply subject "${subject}"` };
  if (AUTOREPLY_SUBJECT_WEAK.test(subject) && AUTOREPLY_BODY.test(text)) {
    return { kind: 'auto-reply', reason: `auto-reply subject and body ("${subject}")` };
  }

  // 6. mailing lists
  if (precedence === 'list' || listHeaders.length) {
    return { kind: 'mailing-list', reason: precedence === 'list' ? 'Precedence: list' : `list headers: ${listHeaders.join(', ')}` };
  }

  // a daemon sender with nothing recognisable is still no human
  if (daemonSender && fromAddr && DAEMON_SENDER.test(fromLocal) && /^(mailer[-_.]?daemon|postmaster)$/i.test(fromLocal)) {
    return { kind: 'auto-reply', reason: `sent by ${fromAddr} (system sender, unrecognised format)` };
  }
  return { kind: 'human', reason: 'no automated-mail signal' };
}
