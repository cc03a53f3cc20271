/**
 * Deterministic generator of inbound mail conversations with known threading truth.
 *
 * The generator simulates the world (people, organisations, Mailroom's records and the
 * signed Message-IDs of its acknowledgements) and emits each inbound message together
 * with what filing must do with it. Record refs are predicted the way the database
 * assigns them: per prefix, 1, 2, 3… in the order records are created. A filing
 * pipeline that threads one message wrongly therefore diverges from the truth at that
 * message, which is where a test should fail.
 */
import type { MessageFacts } from '../../src/classify/message-facts.ts';
import { makeMessageId } from '../../src/threading/thread-token.ts';
import { base32Encode } from '../../src/threading/thread-token.ts';
import { domainOf, isFreeMailDomain, normaliseAddress } from '../../src/threading/normalise-address.ts';
import { normaliseSubject } from '../../src/threading/resolve-thread.ts';

export type Scenario =
  | 'new'
  | 'new-with-foreign-headers'
  | 'reply-token'
  | 'reply-token-case-changed'
  | 'reply-token-third-party'
  | 'reply-headers'
  | 'reply-references-only'
  | 'subject-participant'
  | 'subject-outsider'
  | 'forward-participant'
  | 'forward-outsider'
  | 'colleague-contact'
  | 'colleague-domain'
  | 'freemail-stranger'
  | 'forged-token'
  | 'headers-beat-subject'
  | 'unknown-ref';

export type RecordKind = 'ticket' | 'lead';

export interface GeneratedOrganisation {
  id: string;
  domain: string;
  /** Normalised addresses of its contacts (some on free-mail domains). */
  contacts: string[];
}

export interface GeneratedSender {
  address: string;
  name: string;
  organisationId?: string;
}

export interface ExpectedThreading {
  kind: 'existing' | 'new' | 'new-linked';
  /** The record the message ends up on (for new / new-linked: the ref the new record gets). */
  ref: string;
  linkedRef?: string;
  signal: 'token' | 'headers' | 'subject' | 'none';
}

export interface GeneratedMessage {
  seq: number;
  scenario: Scenario;
  facts: MessageFacts;
  /** What a new record for this message would be (decides its prefix). */
  recordKind: RecordKind;
  expected: ExpectedThreading;
}

export interface ConversationSet {
  seed: number;
  secret: string;
  domain: string;
  prefixes: { ticket: string; lead: string };
  organisations: GeneratedOrganisation[];
  senders: GeneratedSender[];
  messages: GeneratedMessage[];
}

export interface GeneratorOptions {
  seed?: number;
  messages?: number;
  organisations?: number;
  secret?: string;
  domain?: string;
  prefixes?: { ticket: string; lead: string };
}

/** mulberry32: tiny, fast, good enough to make test data reproducible from one number. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Kari', 'Ola', 'Per', 'Siri', 'Ingrid', 'Lars', 'Nina', 'Tom', 'Ida', 'Bjørn', 'Maria', 'Liam', 'Eva', 'Jonas', 'Hanne', 'Emil', 'Sara', 'Anders', 'Marte', 'Knut'];
const LAST = ['Nordmann', 'Hansen', 'Berg', 'Lie', 'Dahl', 'Jensen', 'Ærø', 'Svensson', 'Haugen', 'Moen', 'Bakken', 'Solberg', 'Strand', 'Lund', 'Eide'];
const ORG_WORDS = ['fjord', 'nordlys', 'havne', 'bygg', 'elektro', 'varme', 'berg', 'kyst', 'dal', 'skog', 'vik', 'tind'];
const FREE = ['gmail.com', 'outlook.com', 'hotmail.no', 'online.no', 'icloud.com', 'yahoo.no', 'proton.me'];
const SUBJECTS = [
  'Kan ikke logge inn i produktportalen',
  'Varmepanel på badet virker ikke',
  'Error code E42 after firmware update',
  'Tilbud på 40 paneler',
  'Request for quote: infrared panels',
  'Bestilling 4471',
  'Termostaten viser feil temperatur',
  'Faktura for oktober',
  'Levering uke 49',
  'Spørsmål om garanti',
  'Question about installation',
  'Kva kostar eit nytt panel?',
  'Montering i nybygg, 12 leiligheter',
  'App mister forbindelsen',
];

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)];
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/æ/g, 'ae')
    .replace(/ø/g, 'o')
    .replace(/å/g, 'a')
    .replace(/[^a-z0-9]+/g, '.');
}

interface WorldThread {
  ref: string;
  kind: RecordKind;
  organisationId?: string;
  participants: Set<string>;
  inboundIds: string[];
  outboundIds: string[];
  subject: string;
}

export function generateConversations(options: GeneratorOptions = {}): ConversationSet {
  const seed = options.seed ?? 20261102;
  const rnd = seededRandom(seed);
  const secret = options.secret ?? 'conversation-generator-secret';
  const domain = options.domain ?? 'infracomfort.example';
  const prefixes = options.prefixes ?? { ticket: 'SUP', lead: 'LEAD' };
  const messageCount = options.messages ?? 1200;
  const orgCount = options.organisations ?? 30;

  // ----- people and organisations
  const organisations: GeneratedOrganisation[] = [];
  const senders: GeneratedSender[] = [];
  const usedAddresses = new Set<string>();
  const person = (orgDomain: string | undefined, free: boolean, organisationId?: string): GeneratedSender => {
    for (;;) {
      const name = `${pick(rnd, FIRST)} ${pick(rnd, LAST)}`;
      const d = free || !orgDomain ? pick(rnd, FREE) : orgDomain;
      const address = normaliseAddress(`${slug(name)}${free ? Math.floor(rnd() * 90 + 10) : ''}@${d}`);
      if (usedAddresses.has(address)) continue;
      usedAddresses.add(address);
      return organisationId ? { address, name, organisationId } : { address, name };
    }
  };
  for (let i = 0; i < orgCount; i++) {
    const id = `org-${String(i + 1).padStart(2, '0')}`;
    const orgDomain = `${pick(rnd, ORG_WORDS)}${pick(rnd, ORG_WORDS)}-${i + 1}.example`;
    const org: GeneratedOrganisation = { id, domain: orgDomain, contacts: [] };
    const n = 3 + Math.floor(rnd() * 2);
    for (let k = 0; k < n; k++) {
      const s = person(orgDomain, rnd() < 0.2, id);
      org.contacts.push(s.address);
      senders.push(s);
    }
    organisations.push(org);
  }
  for (let i = 0; i < 15; i++) senders.push(person(undefined, true));
  const orgById = new Map(organisations.map((o) => [o.id, o]));
  const contactOrg = new Map(senders.filter((s) => s.organisationId).map((s) => [s.address, s.organisationId!]));
  const orgByDomain = new Map(organisations.map((o) => [o.domain, o.id]));
  /** As the database will do it: the contact's organisation, else by (non-free-mail) domain. */
  const organisationOf = (address: string): string | undefined => {
    const byContact = contactOrg.get(address);
    if (byContact) return byContact;
    const d = domainOf(address);
    return d && !isFreeMailDomain(d) ? orgByDomain.get(d) : undefined;
  };

  // ----- Mailroom's records
  const threads: WorldThread[] = [];
  const byRef = new Map<string, WorldThread>();
  const counters: Record<RecordKind, number> = { ticket: 0, lead: 0 };
  const nonce = () => base32Encode(Uint8Array.from({ length: 5 }, () => Math.floor(rnd() * 256)));
  // A record remembers its topic without IDs or reply prefixes, so later mail on it
  // names only its own ID (as staff would retitle a linked case).
  const refPattern = new RegExp(`\\[?\\b(?:${prefixes.ticket}|${prefixes.lead})-\\d+\\b\\]?`, 'gi');
  const topic = (subject: string) => normaliseSubject(subject.replace(refPattern, ' ')) || 'Henvendelse';
  const createThread = (kind: RecordKind, sender: string, messageId: string, subject: string): WorldThread => {
    counters[kind]++;
    const ref = `${prefixes[kind === 'ticket' ? 'ticket' : 'lead']}-${String(counters[kind]).padStart(6, '0')}`;
    const t: WorldThread = {
      ref,
      kind,
      organisationId: organisationOf(sender),
      participants: new Set([sender]),
      inboundIds: [messageId],
      outboundIds: [makeMessageId({ ticketRef: ref, nonce: nonce() }, secret, domain)],
      subject: topic(subject),
    };
    threads.push(t);
    byRef.set(ref, t);
    return t;
  };
  const joinThread = (t: WorldThread, sender: string, messageId: string) => {
    t.participants.add(sender);
    t.inboundIds.push(messageId);
    // Staff sometimes answer: another signed Message-ID the customer may reply to.
    if (rnd() < 0.5) t.outboundIds.push(makeMessageId({ ticketRef: t.ref, nonce: nonce() }, secret, domain));
  };

  const isInsider = (t: WorldThread, address: string): boolean => {
    if (t.participants.has(address)) return true;
    if (!t.organisationId) return false;
    const org = orgById.get(t.organisationId)!;
    if (org.contacts.includes(address)) return true;
    return domainOf(address) === org.domain;
  };
  const outsiderFor = (t: WorldThread): string | undefined => {
    for (let tries = 0; tries < 50; tries++) {
      const s = pick(rnd, senders).address;
      if (!isInsider(t, s)) return s;
    }
    return undefined;
  };
  const participantOf = (t: WorldThread): string => pick(rnd, [...t.participants]);

  // ----- messages
  const messages: GeneratedMessage[] = [];
  let seq = 0;
  const newMessageId = (sender: string) => `<gen-${seq}-${Math.floor(rnd() * 1e9).toString(36)}@${domainOf(sender) ?? 'unknown.example'}>`;
  const refTag = (ref: string) => {
    const r = rnd();
    if (r < 0.6) return `[${ref}]`;
    if (r < 0.8) return ref;
    return ref.toLowerCase();
  };
  const replyPrefix = () => pick(rnd, ['SV: ', 'Re: ', 'RE: ', 'Sv: ', 'AW: ', 'SV: SV: ']);
  const forwardPrefix = () => pick(rnd, ['Fwd: ', 'VS: ', 'Fw: ', 'WG: ']);
  const recordKind = (): RecordKind => (rnd() < 0.7 ? 'ticket' : 'lead');

  const emit = (
    scenario: Scenario,
    sender: string,
    subject: string,
    headers: { inReplyTo?: string; references?: string[] },
    text: string,
    kind: RecordKind,
    expected: ExpectedThreading,
    messageId: string,
  ) => {
    const facts: MessageFacts = {
      messageId,
      inReplyTo: headers.inReplyTo,
      references: headers.references ?? [],
      from: { address: sender },
      replyTo: [],
      to: [{ address: `post@${domain}` }],
      cc: [],
      subject,
      text,
      headers: {},
    };
    messages.push({ seq, scenario, facts, recordKind: kind, expected });
    seq++;
  };

  const startNew = (scenario: Scenario, sender: string, foreign: boolean) => {
    const subject = pick(rnd, SUBJECTS);
    const id = newMessageId(sender);
    const kind = recordKind();
    const t = createThread(kind, sender, id, subject);
    const headers = foreign ? { inReplyTo: `<internal-${seq}@${domainOf(sender)}>`, references: [`<internal-${seq}@${domainOf(sender)}>`] } : {};
    emit(scenario, sender, subject, headers, 'Hei,\n\nkan dere hjelpe?\n\nMvh', kind, { kind: 'new', ref: t.ref, signal: 'none' }, id);
  };

  const linkNew = (scenario: Scenario, sender: string, old: WorldThread, subject: string, text: string) => {
    const id = newMessageId(sender);
    const kind = recordKind();
    const t = createThread(kind, sender, id, subject);
    emit(scenario, sender, subject, {}, text, kind, { kind: 'new-linked', ref: t.ref, linkedRef: old.ref, signal: 'subject' }, id);
  };

  const weights: Array<[Scenario, number]> = [
    ['new', 16],
    ['new-with-foreign-headers', 3],
    ['reply-token', 16],
    ['reply-token-case-changed', 4],
    ['reply-token-third-party', 2],
    ['reply-headers', 9],
    ['reply-references-only', 4],
    ['subject-participant', 9],
    ['subject-outsider', 7],
    ['forward-participant', 6],
    ['forward-outsider', 3],
    ['colleague-contact', 6],
    ['colleague-domain', 4],
    ['freemail-stranger', 3],
    ['forged-token', 3],
    ['headers-beat-subject', 3],
    ['unknown-ref', 2],
  ];
  const totalWeight = weights.reduce((s, [, w]) => s + w, 0);
  const chooseScenario = (): Scenario => {
    let r = rnd() * totalWeight;
    for (const [s, w] of weights) {
      r -= w;
      if (r < 0) return s;
    }
    return 'new';
  };

  while (messages.length < messageCount) {
    const scenario: Scenario = threads.length < 20 ? 'new' : chooseScenario();
    const t = threads.length ? pick(rnd, threads) : undefined;
    switch (scenario) {
      case 'new':
      case 'new-with-foreign-headers': {
        startNew(scenario, pick(rnd, senders).address, scenario === 'new-with-foreign-headers');
        break;
      }
      case 'reply-token':
      case 'reply-token-case-changed':
      case 'reply-token-third-party': {
        if (!t) break;
        // Third party: someone the customer forwarded our mail to, replying to it. The
        // token proves they hold our message; that is the documented, strongest signal.
        const sender = scenario === 'reply-token-third-party' ? outsiderFor(t) : participantOf(t);
        if (!sender) break;
        let ack = pick(rnd, t.outboundIds);
        if (scenario === 'reply-token-case-changed') ack = rnd() < 0.5 ? ack.toUpperCase() : ack.replace(/[a-z]/g, (c) => (rnd() < 0.5 ? c.toUpperCase() : c));
        const id = newMessageId(sender);
        const subject = rnd() < 0.7 ? `${replyPrefix()}${refTag(t.ref)} ${t.subject}` : `${replyPrefix()}${t.subject}`;
        emit(scenario, sender, subject, { inReplyTo: ack, references: [t.inboundIds[0], ack] }, 'Takk for svar.\n\n> Vi har registrert saken.', t.kind, { kind: 'existing', ref: t.ref, signal: 'token' }, id);
        joinThread(t, sender, id);
        break;
      }
      case 'reply-headers':
      case 'reply-references-only': {
        if (!t) break;
        const sender = participantOf(t);
        const parent = pick(rnd, t.inboundIds);
        const id = newMessageId(sender);
        const headers =
          scenario === 'reply-headers'
            ? { inReplyTo: parent, references: [parent] }
            : { references: [`<elsewhere-${seq}@mail.other.example>`, parent] };
        emit(scenario, sender, `${replyPrefix()}${t.subject}`, headers, 'Her er mer informasjon.', t.kind, { kind: 'existing', ref: t.ref, signal: 'headers' }, id);
        joinThread(t, sender, id);
        break;
      }
      case 'subject-participant': {
        if (!t) break;
        const sender = participantOf(t);
        const id = newMessageId(sender);
        emit(scenario, sender, `${refTag(t.ref)} oppfølging`, {}, 'Oppfølging på saken.', t.kind, { kind: 'existing', ref: t.ref, signal: 'subject' }, id);
        joinThread(t, sender, id);
        break;
      }
      case 'subject-outsider':
      case 'forward-outsider': {
        if (!t) break;
        const sender = outsiderFor(t);
        if (!sender) break;
        const subject = scenario === 'subject-outsider' ? `${replyPrefix()}${refTag(t.ref)} ${t.subject}` : `${forwardPrefix()}${replyPrefix()}${refTag(t.ref)} ${t.subject}`;
        linkNew(scenario, sender, t, subject, 'Jeg har samme problem som i denne saken.');
        break;
      }
      case 'forward-participant': {
        if (!t) break;
        const sender = participantOf(t);
        const id = newMessageId(sender);
        const subject = `${forwardPrefix()}${replyPrefix()}${refTag(t.ref)} ${t.subject}`;
        const text = `Se under.\n\n---------- Forwarded message ---------\nFrom: InfraComfort <post@${domain}>\nSubject: [${t.ref}] ${t.subject}\n\nVi har registrert saken din.`;
        emit(scenario, sender, subject, {}, text, t.kind, { kind: 'existing', ref: t.ref, signal: 'subject' }, id);
        joinThread(t, sender, id);
        break;
      }
      case 'colleague-contact':
      case 'colleague-domain': {
        const withOrg = threads.filter((x) => x.organisationId);
        if (!withOrg.length) break;
        const th = pick(rnd, withOrg);
        const org = orgById.get(th.organisationId!)!;
        let sender: string | undefined;
        if (scenario === 'colleague-contact') {
          const candidates = org.contacts.filter((c) => !th.participants.has(c));
          if (!candidates.length) break;
          sender = pick(rnd, candidates);
        } else {
          sender = normaliseAddress(`kollega.${seq}@${org.domain}`);
          if (rnd() < 0.3) sender = sender.toUpperCase();
        }
        const id = newMessageId(sender);
        emit(scenario, sender, `${replyPrefix()}${refTag(th.ref)} ${th.subject}`, {}, 'Jeg er kollega og følger opp.', th.kind, { kind: 'existing', ref: th.ref, signal: 'subject' }, id);
        joinThread(th, normaliseAddress(sender), id);
        break;
      }
      case 'freemail-stranger': {
        // A stranger on the same free-mail domain as someone on the record.
        const candidates = threads.filter((x) => [...x.participants].some((p) => isFreeMailDomain(domainOf(p))));
        if (!candidates.length) break;
        const th = pick(rnd, candidates);
        const freeDomain = domainOf([...th.participants].find((p) => isFreeMailDomain(domainOf(p)))!)!;
        const sender = normaliseAddress(`stranger.${seq}@${freeDomain}`);
        if (isInsider(th, sender)) break;
        linkNew(scenario, sender, th, `${replyPrefix()}${refTag(th.ref)} ${th.subject}`, 'Hei, gjelder denne meg også?');
        break;
      }
      case 'forged-token': {
        if (!t) break;
        const sender = outsiderFor(t);
        if (!sender) break;
        // Either signed with a guessed key, or a real token with the ref swapped.
        const forged =
          rnd() < 0.5
            ? makeMessageId({ ticketRef: t.ref, nonce: nonce() }, 'guessed-key', domain)
            : pick(rnd, t.outboundIds).replace(/^<mr1\.[a-z2-7]+\./i, `<mr1.${base32Encode(Buffer.from(t.ref.replace(/\d$/, (d) => String((Number(d) + 1) % 10))))}.`);
        const id = newMessageId(sender);
        const kind = recordKind();
        const nt = createThread(kind, sender, id, 'Spørsmål');
        emit(scenario, sender, 'Re: Spørsmål', { inReplyTo: forged, references: [forged] }, 'Hei.', kind, { kind: 'new', ref: nt.ref, signal: 'none' }, id);
        break;
      }
      case 'headers-beat-subject': {
        if (threads.length < 2 || !t) break;
        const other = pick(rnd, threads.filter((x) => x !== t));
        const sender = participantOf(t);
        const parent = pick(rnd, t.inboundIds);
        const id = newMessageId(sender);
        emit(scenario, sender, `${replyPrefix()}${refTag(other.ref)} ${t.subject}`, { inReplyTo: parent, references: [parent] }, 'Svar.', t.kind, { kind: 'existing', ref: t.ref, signal: 'headers' }, id);
        joinThread(t, sender, id);
        break;
      }
      case 'unknown-ref': {
        const sender = pick(rnd, senders).address;
        const id = newMessageId(sender);
        const kind = recordKind();
        const fake = `${prefixes.ticket}-${String(900000 + seq).padStart(6, '0')}`;
        const nt = createThread(kind, sender, id, `[${fake}] hei`);
        emit(scenario, sender, `[${fake}] hei`, {}, 'Hei.', kind, { kind: 'new', ref: nt.ref, signal: 'none' }, id);
        break;
      }
    }
  }

  return { seed, secret, domain, prefixes, organisations, senders, messages };
}
