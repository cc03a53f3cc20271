/**
 * Decides where a new inbound message belongs: a queue (support, sales, privacy,
 * newsletter-reply, spam) or 'triage' when the evidence is split or privacy evidence weak;
 * mail nothing claims goes to routing.defaultQueue. Pure: everything it
 * needs (the contact and organisation already looked up, the routing config) is passed
 * in, so it can be tested from literals and re-run on stored mail after a rule change.
 *
 * Threading is decided elsewhere (src/threading/resolve-thread.ts); this is only
 * consulted for messages that start something new.
 */
import { bodyText, headerValues, type MailAddress, type MessageFacts } from './message-facts.ts';
import { compileContactForm, detectContactForm, type CompiledContactForm, type ContactFormData } from './contact-form.ts';
import { detectLanguage, type Language } from './language.ts';
import { compileTerm, TermSet, TextIndex, type CompiledTerm, type TermLanguage } from './terms.ts';
import { outweighedBy } from './phrase-overlap.ts';
import {
  compileGlob,
  effectiveKeywordRules,
  PRIVACY_RIGHTS,
  QUEUES,
  type KeywordRule,
  type OrganisationKind,
  type PrivacyRight,
  type Queue,
  type QueueWeights,
  type RoutingConfig,
} from './routing-rules.ts';
import { splitReply, type SplitReply } from '../threading/quote-split.ts';

export type { ContactFormData } from './contact-form.ts';
import { domainOf, normaliseAddress } from '../threading/normalise-address.ts';
import { isNoReplyAddress } from '../mail/address.ts';
import { scoreIntent, shippedIntentModel, type IntentModel } from './intent-model.ts';
import { applyModel } from './model-decision.ts';

export type Route = Queue | 'triage';

export interface ClassifyContext {
  knownContact?: { id: string; organisationId?: string; roles: string[] };
  organisation?: { id: string; kind: OrganisationKind };
  config: RoutingConfig;
  /** splitReply(facts.text), when the caller has it already (it stores the split too). */
  split?: SplitReply;
  /** The learned second opinion (model-decision.ts); default the shipped one, `null`: rules alone. */
  intentModel?: IntentModel | null;
}

export interface Classification {
  route: Route;
  language: Language;
  scores: Record<Queue, number>;
  reasons: string[];
  privacyRights?: PrivacyRight[];
  contactForm?: ContactFormData;
  /**
   * Who the message is really from: the person in a contact form, else From. The caller
   * looks this person up as the contact (and acknowledges them). Privacy answers must
   * still go to the address on file, never to this when it came from Reply-To.
   */
  requester: MailAddress;
}

// ---------------------------------------------------------------------------------------
// Compiled rules, cached per config object: configs are parsed once at start-up.
// ---------------------------------------------------------------------------------------
interface CompiledRule {
  rule: KeywordRule;
}
interface CompiledConfig {
  rules: CompiledRule[];
  /** Every term of every rule, in rule order, indexed for lookup. */
  terms: TermSet;
  /** For each term of `terms`, the index of its rule in `rules`. */
  ruleOf: number[];
  recipients: { re: RegExp; pattern: string; weights: QueueWeights }[];
  senderDomains: { re: RegExp; pattern: string; weights: QueueWeights }[];
  attachments: { name?: RegExp; type?: RegExp; label: string; weights: QueueWeights }[];
  newsletterIds: RegExp[];
  form: CompiledContactForm;
}
const compiledCache = new WeakMap<RoutingConfig, CompiledConfig>();

const TERM_LANGUAGES: Array<[keyof KeywordRule['terms'], TermLanguage]> = [
  ['nb', 'no'],
  ['nn', 'no'],
  ['en', 'en'],
  ['all', 'exact'],
];

function compile(config: RoutingConfig): CompiledConfig {
  const cached = compiledCache.get(config);
  if (cached) return cached;
  const allTerms: CompiledTerm[] = [];
  const ruleOf: number[] = [];
  const rules = effectiveKeywordRules(config).map((rule, r) => {
    // Each term goes through the stemmer of the language it is listed under.
    const seen = new Set<string>();
    for (const [key, language] of TERM_LANGUAGES) {
      for (const term of rule.terms[key] ?? []) {
        const id = `${language}:${term.trim()}`;
        if (seen.has(id)) continue;
        seen.add(id);
        allTerms.push(compileTerm(term, language));
        ruleOf.push(r);
      }
    }
    return { rule };
  });
  const compiled: CompiledConfig = {
    rules,
    terms: new TermSet(allTerms),
    ruleOf,
    recipients: config.recipients.map((r) => ({ re: compileGlob(r.pattern), pattern: r.pattern, weights: r.weights })),
    senderDomains: config.sender.domains.map((r) => ({ re: compileGlob(r.pattern), pattern: r.pattern, weights: r.weights })),
    attachments: config.attachments.map((a) => ({
      name: a.filename ? compileGlob(a.filename) : undefined,
      type: a.contentType ? compileGlob(a.contentType) : undefined,
      label: a.filename ?? a.contentType ?? '*',
      weights: a.weights,
    })),
    newsletterIds: config.newsletter.messageIdPatterns.map(compileGlob),
    form: compileContactForm(config),
  };
  compiledCache.set(config, compiled);
  return compiled;
}

// ---------------------------------------------------------------------------------------
// Scoring
// ---------------------------------------------------------------------------------------
/**
 * Rules look at the first this-many characters of the body. What decides a route is
 * said early; the cap keeps a multi-megabyte log paste from costing seconds of regex.
 */
const MAX_KEYWORD_TEXT = 20_000;
/** More than detectLanguage looks at. */
const LANGUAGE_SAMPLE_CHARS = 5_000;

const FORWARD_SUBJECT = /^\s*(fwd?|vs|wg|tr)\s*:/i;
/**
 * A writer who says they pass something on ("eg vidaresender spørsmålet frå kollegaen min",
 * "forwarding this from our caretaker") under a plain "SV:"/"Re:" subject: the quoted mail is
 * the question.
 */
const FORWARD_SAID = /\b(videresend\w*|vidaresend\w*|sender (?:den |denne |dette )?videre|sender (?:han |ho |dette )?vidare|forwarding|forwarded (?:this|it|you)|passing (?:this|it) on)\b/iu;

const STEM_NO: ReadonlySet<TermLanguage> = new Set(['no']);
const STEM_EN: ReadonlySet<TermLanguage> = new Set(['en']);

// A confidentiality footer ("…if you are not the intended recipient, notify the sender and
// delete…") says delete, personal data and privacy in every mail of a firm that uses one.
const NOTICE_SECRECY = /\b(konfidensiell\w*|taushets\w*|teieplikt\w*|fortrolig\w*|confidential\w*|privileged|intended recipient|intended solely|only intended|(rett|rette|riktig|feil) mottak[ae]r\w*|(kun|berre|bare) ment for)\b/iu;
const NOTICE_ADDRESSEE = /\b(mottaker\w*|mottakar\w*|adressat\w*|avsender\w*|avsendar\w*|recipient\w*|addressee|sender)\b/iu;

/** The text without paragraphs that are a legal notice (never the first paragraph). */
export function withoutLegalNotices(text: string): string {
  const paragraphs = text.split(/\n[ \t]*\n/);
  if (paragraphs.length < 2) return text;
  const kept = paragraphs.filter((p, i) => i === 0 || p.length > 2_000 || !(NOTICE_SECRECY.test(p) && NOTICE_ADDRESSEE.test(p)));
  return kept.length === paragraphs.length ? text : kept.join('\n\n');
}

function addWeights(scores: Record<Queue, number>, weights: QueueWeights, reasons: string[], why: string): void {
  const parts: string[] = [];
  for (const q of QUEUES) {
    const w = weights[q];
    if (!w) continue;
    scores[q] += w;
    parts.push(`${q} ${w > 0 ? '+' : ''}${w}`);
  }
  if (parts.length) reasons.push(`${why}: ${parts.join(', ')}`);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * Who the message is really from (the contact-form person, else From), without scoring it:
 * the caller looks this person up before classifying with what it found.
 */
export function findRequester(facts: MessageFacts, config: RoutingConfig): MailAddress {
  const fullText = bodyText(facts).slice(0, MAX_KEYWORD_TEXT * 5);
  const contactForm = detectContactForm(facts, fullText, compile(config).form, config, []);
  return contactForm
    ? { address: contactForm.email, ...(contactForm.name ? { name: contactForm.name } : {}) }
    : { ...facts.from, address: normaliseAddress(facts.from.address) || facts.from.address };
}

/**
 * The route for a set of scores, and why (one line for `reasons`). In order:
 *  1. privacy at or above privacy.minScore wins when it is (joint) top: the legal clock runs,
 *     and every disclosure is approved by a human anyway; if another queue scores higher,
 *     staff decide (a real request must never vanish into a ticket queue unseen);
 *     then spam at or above spam.minScore is spam, whatever else it mentions;
 *  2. below privacy.minScore, privacy evidence neither wins nor blocks another queue;
 *  3. a queue at or above thresholds.minScore that leads the runner-up by thresholds.margin,
 *     or is the only one at or above minScore, wins;
 *  4. two or more queues at or above minScore within the margin: split evidence, triage;
 *  5. nothing strong: privacy evidence from privacy.triageScore up that leads the rest goes
 *     to triage (it must not be missed); a queue with a clear lead (margin) wins; anything
 *     else goes to routing.defaultQueue (a human wrote to us and nothing says it is not a
 *     support case), unless the sender is a system address (post_master@, noreply@): triage.
 */
/**
 * What kind of evidence support and sales have, beyond how much: a split between the two is
 * settled by it when only one side has its decisive kind (see `settleSupportSales`).
 */
export interface EvidenceKinds {
  /** An explicit request for a price, an offer or something new (sales.quote, sales.request, sales.want). */
  salesAsk: boolean;
  /** A fault or symptom (support.fault, support.symptom). */
  fault: boolean;
  /** The writer has it already (support.ours, support.existing, support.delivered, support.parts, support.billing, support.warranty, support.bought). */
  owned: boolean;
  /**
   * The writer's own data (privacy.personal-data, privacy.about-me) and what they want done with
   * it, a right whose own evidence reaches privacy.minScore: a privacy request however many
   * product or price words it also has ("the call about a price … a copy of what you keep about me").
   */
  privacyOwnAction?: boolean;
  /** A past purchase (support.bought) and no wish for something new (sales.want). */
  pastPurchase?: boolean;
  /**
   * Queues the operator's address rules (the recipient used, the sender's domain) gave weight:
   * an instruction from the configuration, which the learned model, reading only the text,
   * never overturns.
   */
  addressed?: Queue[];
}

/** Rule ids whose hits say which kind of evidence a mail has (shipped rules; config rules may reuse the ids). */
const SALES_ASK_RULES: ReadonlySet<string> = new Set(['sales.quote', 'sales.request', 'sales.want']);
const FAULT_RULES: ReadonlySet<string> = new Set(['support.fault', 'support.symptom']);
const OWNED_RULES: ReadonlySet<string> = new Set(['support.ours', 'support.existing', 'support.delivered', 'support.parts', 'support.billing', 'support.warranty', 'support.bought']);
/** The mail is about the writer's own data. */
const OWN_DATA_RULES: ReadonlySet<string> = new Set(['privacy.personal-data', 'privacy.about-me', 'privacy.rectification.mine']);
/** A purchase, payment or accepted offer in the past: the writer bought it already. */
const PAST_PURCHASE_RULES: ReadonlySet<string> = new Set(['support.bought']);
/** A wish for something new: the writer is buying again, whatever they bought before. */
const WANTS_NEW_RULES: ReadonlySet<string> = new Set(['sales.want']);
/**
 * Sales rules that only mention offers, prices, orders and mounting: beside a past purchase they
 * describe what was bought ("the quote said 29,500", "montert"), so they count at
 * PAST_PURCHASE_FACTOR. Explicit asks (sales.request, sales.want) count in full.
 */
const PAST_MENTION_RULES: ReadonlySet<string> = new Set(['sales.quote', 'sales.price', 'sales.project', 'sales.order', 'sales.agreement']);
const PAST_PURCHASE_FACTOR = 0.5;

/**
 * Support and sales both strong and close: the kind of evidence decides where only one side
 * has its decisive kind. An explicit ask for a price or an offer, and no fault, is sales (an
 * owner wanting an add-on is still buying); a fault, or something they have, and no explicit
 * ask is support (an order confirmation in a billing question, a part for their unit). A fault
 * and an explicit ask in one mail are two requests: staff decide.
 */
function settleSupportSales(kinds: EvidenceKinds): { route: Queue; because: string } | undefined {
  if (kinds.pastPurchase && !kinds.fault) return { route: 'support', because: 'something they bought already, and no wish for something new' };
  if (kinds.salesAsk && !kinds.fault) return { route: 'sales', because: 'an explicit ask for a price or an offer, and no fault' };
  if (!kinds.salesAsk && (kinds.fault || kinds.owned)) return { route: 'support', because: `${kinds.fault ? 'a fault' : 'something they have already'}, and no explicit ask for a price or an offer` };
  return undefined;
}

/**
 * What the rules decided, and on what basis where the learned model (model-decision.ts) may
 * weigh in: `split` (two queues strong within the margin, not settled by the kind of evidence),
 * `unclaimed` (nothing claims it: routing.defaultQueue), `settled` (a support/sales split
 * settled by the kind of evidence) or `ahead` (one queue ahead of the others by the margin).
 * Privacy and spam decisions carry no basis: the model never argues with them.
 */
export interface RulesDecision {
  route: Route;
  why: string;
  basis?: 'split' | 'unclaimed' | 'settled' | 'ahead';
}

export function decide(scores: Record<Queue, number>, config: RoutingConfig, sender: { robot?: string } = {}, kinds?: EvidenceKinds): RulesDecision {
  const { minScore, margin } = config.thresholds;
  const privacyMin = config.privacy.minScore;
  if (scores.privacy >= privacyMin) {
    const other = QUEUES.filter((q) => q !== 'privacy' && q !== 'spam').sort((a, b) => scores[b] - scores[a])[0]!;
    if (scores.privacy >= scores[other]) return { route: 'privacy', why: `route privacy: ${scores.privacy} ≥ privacy.minScore ${privacyMin}` };
    // Product and price words do not outweigh it; an unsubscribe still does (that handler unsubscribes).
    if (kinds?.privacyOwnAction && (other === 'support' || other === 'sales')) return { route: 'privacy', why: `route privacy: ${scores.privacy} ≥ privacy.minScore ${privacyMin}, about their own data and what to do with it (${other} ${scores[other]} is what it is about)` };
    return { route: 'triage', why: `triage: privacy evidence ${scores.privacy} ≥ ${privacyMin} but ${other} scores ${scores[other]}` };
  }
  if (scores.spam >= config.spam.minScore) return { route: 'spam', why: `route spam: ${scores.spam} ≥ spam.minScore ${config.spam.minScore}` };
  const ranked = QUEUES.filter((q) => q !== 'privacy').sort((a, b) => scores[b] - scores[a]);
  const [top, second] = [ranked[0]!, ranked[1]!];
  const lead = round(scores[top] - scores[second]);
  const strong = ranked.filter((q) => scores[q] >= minScore);
  if (strong.length === 1 || (strong.length > 1 && lead >= margin)) {
    return { route: top, basis: 'ahead', why: `route ${top}: ${scores[top]}, ahead of ${second} by ${lead}` };
  }
  if (strong.length > 1) {
    const pair = new Set([top, second]);
    // Only a split between exactly support and sales, with no privacy evidence worth a look
    // (spam below spam.minScore was judged not spam above).
    const others = ranked.slice(2).filter((q) => q !== 'spam');
    if (kinds && pair.has('support') && pair.has('sales') && others.every((q) => scores[q] < minScore) && scores.privacy < config.privacy.triageScore) {
      const settled = settleSupportSales(kinds);
      if (settled) return { route: settled.route, basis: 'settled', why: `route ${settled.route}: support ${scores.support} and sales ${scores.sales} within margin ${margin}, settled by the kind of evidence: ${settled.because}` };
    }
    return { route: 'triage', basis: 'split', why: `triage: split evidence, ${top} ${scores[top]} and ${second} ${scores[second]} both ≥ minScore ${minScore}, lead ${lead} < margin ${margin}` };
  }
  if (scores.privacy >= config.privacy.triageScore && scores.privacy >= scores[top]) {
    return { route: 'triage', why: `triage: weak privacy evidence ${scores.privacy} (≥ privacy.triageScore ${config.privacy.triageScore}, < ${privacyMin}) and nothing stronger` };
  }
  if (scores[top] > 0 && lead >= margin) {
    return { route: top, basis: 'ahead', why: `route ${top}: ${scores[top]} < minScore ${minScore}, but ahead of ${second} by ${lead}` };
  }
  // The default is for mail a person wrote; a system address that slipped past automated-mail
  // recognition (an empty bounce from post_master@) is for staff to look at.
  if (sender.robot) return { route: 'triage', why: `triage: no queue claims it, and ${sender.robot} is a system address, not a person` };
  const fallback = config.defaultQueue;
  return { route: fallback, basis: 'unclaimed', why: `${fallback === 'triage' ? 'triage' : `route ${fallback}`}: no queue claims it (best ${top} ${scores[top]}); routing.defaultQueue is ${fallback}` };
}

interface KeywordHit {
  place: 'subject' | 'body';
  rule: number;
  term: CompiledTerm;
  /** Set when every matching term of the rule is part of a longer phrase of another queue. */
  outweighedBy?: { rule: number; term: CompiledTerm };
  /** Whether the quick pass left some of the rule's terms untried. */
  skipped?: boolean;
}

/**
 * The keyword rules that match one place, each with the term it counts through: its first
 * matching term that stands, else (outweighed) its first matching term. Terms are tried only
 * if the text holds their anchor word, in rule order. Unless `thorough`, a rule's further
 * one-word terms are skipped once one of its terms matched: they cannot outweigh anything,
 * and only matter when everything before them is outweighed.
 */
function keywordHits(cc: CompiledConfig, place: 'subject' | 'body', index: TextIndex, thorough: boolean): KeywordHit[] {
  const matched: Array<{ rule: number; queue: Queue; weight: number; term: CompiledTerm }> = [];
  const skipped = new Set<number>();
  for (const t of cc.terms.candidates(index)) {
    const r = cc.ruleOf[t]!;
    const { rule } = cc.rules[r]!;
    if ((place === 'subject' && rule.in === 'body') || (place === 'body' && rule.in === 'subject')) continue;
    const term = cc.terms.terms[t]!;
    if (!thorough && term.words.length === 1 && matched.at(-1)?.rule === r) {
      skipped.add(r);
      continue;
    }
    if (index.matches(term)) matched.push({ rule: r, queue: rule.queue, weight: rule.weight, term });
  }
  const outweighed = outweighedBy(index, matched);
  const out: KeywordHit[] = [];
  matched.forEach((m, i) => {
    const last = out.at(-1);
    if (last?.rule === m.rule && !last.outweighedBy) return;
    const by = outweighed[i];
    if (last?.rule === m.rule) {
      if (!by) out[out.length - 1] = { place, rule: m.rule, term: m.term };
    } else {
      out.push(by ? { place, rule: m.rule, term: m.term, outweighedBy: { rule: by.rule, term: by.term }, skipped: skipped.has(m.rule) } : { place, rule: m.rule, term: m.term });
    }
  });
  return out;
}

export function classifyMessage(facts: MessageFacts, context: ClassifyContext): Classification {
  const { config } = context;
  const cc = compile(config);
  const reasons: string[] = [];
  const scores = Object.fromEntries(QUEUES.map((q) => [q, 0])) as Record<Queue, number>;
  const rightEvidence = new Map<PrivacyRight, number>();

  const fullText = bodyText(facts).slice(0, MAX_KEYWORD_TEXT * 5);
  const split = context.split && fullText === facts.text ? context.split : splitReply(fullText);
  const contactForm = detectContactForm(facts, fullText, cc.form, config, reasons);

  // Keywords look at what the sender wrote now, not at the history they quoted (which
  // is often our own acknowledgement). A forward's point is the forwarded mail, though.
  let keywordText = split.newText;
  if (FORWARD_SUBJECT.test(facts.subject) || split.newText.length < 20 || (split.quoted && FORWARD_SAID.test(split.newText.slice(0, 2_000)))) {
    keywordText = [split.newText, split.quoted.replace(/^\s*>+ ?/gm, '')].filter(Boolean).join('\n');
  }
  if (contactForm?.message) keywordText = `${keywordText}\n${contactForm.message}`;
  keywordText = withoutLegalNotices(keywordText.slice(0, MAX_KEYWORD_TEXT));

  // Only the start says anything about the language; slicing first keeps a long body from
  // being copied whole into the joined string.
  const language = detectLanguage(`${facts.subject}\n${((contactForm?.message ?? split.newText) || keywordText).slice(0, LANGUAGE_SAMPLE_CHARS)}`);

  const requester: MailAddress = contactForm
    ? { address: contactForm.email, ...(contactForm.name ? { name: contactForm.name } : {}) }
    : { ...facts.from, address: normaliseAddress(facts.from.address) || facts.from.address };

  // --- sender
  if (context.knownContact) {
    addWeights(scores, config.sender.knownContact, reasons, 'known contact');
    for (const role of context.knownContact.roles) {
      const w = config.sender.roles[role];
      if (w) addWeights(scores, w, reasons, `contact role ${role}`);
    }
  } else {
    addWeights(scores, config.sender.unknownSender, reasons, 'unknown sender');
  }
  if (context.organisation) {
    addWeights(scores, config.sender.organisationKinds[context.organisation.kind], reasons, `organisation is a ${context.organisation.kind}`);
  }
  const addressed = new Set<Queue>();
  const noteAddressed = (w: QueueWeights) => {
    for (const q of QUEUES) if ((w[q] ?? 0) > 0) addressed.add(q);
  };
  const senderDomain = domainOf(requester.address);
  if (senderDomain) {
    for (const d of cc.senderDomains) {
      if (d.re.test(senderDomain)) {
        addWeights(scores, d.weights, reasons, `sender domain matches ${d.pattern}`);
        noteAddressed(d.weights);
      }
    }
  }

  // --- recipients (Delivered-To/X-Original-To reveal the address used when we were Bcc'd)
  const recipients = new Set(
    [
      ...facts.to.map((a) => a.address),
      ...facts.cc.map((a) => a.address),
      ...headerValues(facts, 'delivered-to'),
      ...headerValues(facts, 'x-original-to'),
    ]
      .map((a) => normaliseAddress(a))
      .filter(Boolean),
  );
  for (const r of cc.recipients) {
    const hit = [...recipients].find((a) => r.re.test(a));
    if (hit) {
      addWeights(scores, r.weights, reasons, `recipient ${hit} matches ${r.pattern}`);
      noteAddressed(r.weights);
    }
  }

  // --- keywords
  // Terms match by stem in their own language only (see TextIndex).
  const stemLanguages = language === 'en' ? STEM_EN : STEM_NO;
  const index = { subject: new TextIndex(facts.subject, stemLanguages), body: new TextIndex(keywordText, stemLanguages) };
  // A rule counts once per place, through its first matching term that a longer phrase of
  // another queue over the same words does not outweigh (phrase-overlap.ts).
  const hits: KeywordHit[] = [];
  for (const place of ['subject', 'body'] as const) {
    let found = keywordHits(cc, place, index[place], false);
    // The quick pass skipped a rule's further one-word terms once one matched; where every
    // term it found is outweighed, a later term may still stand.
    if (found.some((h) => h.outweighedBy && h.skipped)) found = keywordHits(cc, place, index[place], true);
    hits.push(...found);
  }
  hits.sort((a, b) => a.rule - b.rule || (a.place === b.place ? 0 : a.place === 'subject' ? -1 : 1));
  const countedIds = new Set(hits.filter((h) => !h.outweighedBy && cc.rules[h.rule]!.rule.weight > 0).map((h) => cc.rules[h.rule]!.rule.id));
  const pastPurchase = [...PAST_PURCHASE_RULES].some((id) => countedIds.has(id)) && ![...WANTS_NEW_RULES].some((id) => countedIds.has(id));
  for (const { place, rule: r, term: hit, outweighedBy: by } of hits) {
    const rule = cc.rules[r]!.rule;
    if (by) {
      const phrase = cc.rules[by.rule]!.rule;
      reasons.push(`outweighed: ${rule.id} "${hit.term}" in ${place} is part of ${phrase.id} "${by.term.term}" (${phrase.queue}): ${rule.queue} not counted`);
      continue;
    }
    if (pastPurchase && rule.queue === 'sales' && rule.weight > 0 && PAST_MENTION_RULES.has(rule.id)) {
      const weight = rule.weight * PAST_PURCHASE_FACTOR;
      scores.sales += weight;
      reasons.push(`${rule.id}: "${hit.term}" in ${place}: sales +${weight} (halved: beside a past purchase it describes what they bought)`);
      continue;
    }
    scores[rule.queue] += rule.weight;
    if (rule.right) rightEvidence.set(rule.right, (rightEvidence.get(rule.right) ?? 0) + rule.weight);
    reasons.push(`${rule.id}: "${hit.term}" in ${place}: ${rule.queue} ${rule.weight > 0 ? '+' : ''}${rule.weight}`);
  }

  // --- attachments
  for (const a of cc.attachments) {
    const hit = (facts.attachments ?? []).find(
      (f) => (!a.name || (f.filename !== undefined && a.name.test(f.filename))) && (!a.type || a.type.test(f.contentType)),
    );
    if (hit) addWeights(scores, a.weights, reasons, `attachment ${hit.filename ?? hit.contentType} matches ${a.label}`);
  }

  // --- reply to one of our campaigns
  const threadIds = [facts.inReplyTo, ...facts.references]
    .filter((x): x is string => !!x)
    .map((id) => id.trim().replace(/^<|>$/g, '').toLowerCase());
  const campaignId = threadIds.find((id) => cc.newsletterIds.some((re) => re.test(id)));
  if (campaignId) addWeights(scores, config.newsletter.weights, reasons, `replies to campaign mail ${campaignId}`);

  // --- contact form
  if (contactForm) {
    addWeights(scores, config.contactForm.weights, reasons, 'web contact form');
    if (contactForm.dealerNumber) addWeights(scores, config.contactForm.dealerWeights, reasons, `dealer ${contactForm.dealerNumber}`);
  }

  for (const q of QUEUES) scores[q] = round(scores[q]);

  // --- decision
  const counted = hits.filter((h) => !h.outweighedBy).map((h) => cc.rules[h.rule]!.rule);
  const kinds: EvidenceKinds = {
    salesAsk: counted.some((r) => r.queue === 'sales' && r.weight > 0 && SALES_ASK_RULES.has(r.id)),
    fault: counted.some((r) => r.queue === 'support' && r.weight > 0 && FAULT_RULES.has(r.id)),
    owned: counted.some((r) => r.queue === 'support' && r.weight > 0 && OWNED_RULES.has(r.id)),
    pastPurchase,
    addressed: [...addressed],
    privacyOwnAction: counted.some((r) => r.queue === 'privacy' && r.weight > 0 && OWN_DATA_RULES.has(r.id)) && [...rightEvidence.values()].some((w) => w >= config.privacy.minScore),
  };
  const robot = isNoReplyAddress(requester.address) ? requester.address : undefined;
  const decided = decide(scores, config, { robot }, kinds);
  reasons.push(decided.why);
  // Where the rules are unsure, the learned model may settle it (never against privacy).
  const model = context.intentModel === undefined ? shippedIntentModel() : context.intentModel;
  const verdict = model ? applyModel(decided, scores, config, scoreIntent(model, index.subject, index.body, language), kinds) : { route: decided.route };
  // A model that changed the route says so last; one that only looked, just before the rules' decision.
  if (verdict.reason) reasons.splice(verdict.route === decided.route ? reasons.length - 1 : reasons.length, 0, verdict.reason);
  const route = verdict.route;
  if (scores.privacy > 0 && scores.privacy < config.privacy.minScore && route !== 'triage') {
    reasons.push(`privacy evidence ${scores.privacy} < privacy.minScore ${config.privacy.minScore}: not a privacy request`);
  }

  const result: Classification = { route, language, scores, reasons, requester };
  const rights = PRIVACY_RIGHTS.filter((r) => (rightEvidence.get(r) ?? 0) >= config.privacy.rightMinScore);
  if (route === 'privacy' || route === 'newsletter-reply' || (route === 'triage' && rights.length > 0)) {
    result.privacyRights = rights;
    if (route === 'privacy' && rights.length === 0) reasons.push('privacy request without a recognised right: the privacy handler must ask');
  }
  if (contactForm) result.contactForm = contactForm;
  return result;
}
