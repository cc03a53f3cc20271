/**
 * Runs a generated conversation set (≥100 senders, ≥1,000 messages, every threading
 * signal, stray subject IDs from outsiders, forwards, forged tokens) through
 * resolveThread with an in-memory store that does what the database will do, and
 * requires 100 % agreement with the generator's truth.
 */
import { describe, expect, it } from 'vitest';
import { generateConversations, type GeneratedMessage, type RecordKind } from '../support/conversation-generator.ts';
import {
  normaliseMessageId,
  resolveThread,
  threadLookupKeys,
  type ThreadDecision,
  type ThreadRecordInfo,
} from '../../src/threading/resolve-thread.ts';
import { domainOf, isFreeMailDomain, normaliseAddress } from '../../src/threading/normalise-address.ts';

interface StoredRecord {
  ref: string;
  organisationId?: string;
  participants: Set<string>;
  linkedRef?: string;
}

/** What the database will hold: records, their Message-IDs and participants, contacts. */
class MemoryStore {
  private records = new Map<string, StoredRecord>();
  private messageIds = new Map<string, string>();
  private counters: Record<RecordKind, number> = { ticket: 0, lead: 0 };
  private contactOrg = new Map<string, string>();
  private orgDomain = new Map<string, string>();
  private orgByDomain = new Map<string, string>();
  private orgContacts = new Map<string, string[]>();

  constructor(
    organisations: { id: string; domain: string; contacts: string[] }[],
    private prefixes: { ticket: string; lead: string },
  ) {
    for (const o of organisations) {
      this.orgDomain.set(o.id, o.domain);
      this.orgByDomain.set(o.domain, o.id);
      this.orgContacts.set(o.id, o.contacts);
      for (const c of o.contacts) this.contactOrg.set(normaliseAddress(c), o.id);
    }
  }

  private organisationOf(address: string): string | undefined {
    const byContact = this.contactOrg.get(address);
    if (byContact) return byContact;
    const d = domainOf(address);
    return d && !isFreeMailDomain(d) ? this.orgByDomain.get(d) : undefined;
  }

  /** The pre-fetch the filing code will do with threadLookupKeys. */
  lookupsFor(keys: { messageIds: string[]; recordRefs: string[] }) {
    const messageIds = new Map<string, string>();
    for (const id of keys.messageIds) {
      const ref = this.messageIds.get(id);
      if (ref) messageIds.set(id, ref);
    }
    const records = new Map<string, ThreadRecordInfo>();
    for (const ref of keys.recordRefs) {
      const r = this.records.get(ref);
      if (!r) continue;
      records.set(ref, {
        participants: [...r.participants],
        organisationDomains: r.organisationId ? [this.orgDomain.get(r.organisationId)!] : [],
        organisationContacts: r.organisationId ? this.orgContacts.get(r.organisationId)! : [],
      });
    }
    return { messageIds, records };
  }

  apply(decision: ThreadDecision, message: GeneratedMessage): string {
    const sender = normaliseAddress(message.facts.from.address);
    const id = message.facts.messageId ? normaliseMessageId(message.facts.messageId) : undefined;
    if (decision.kind === 'existing') {
      const r = this.records.get(decision.recordRef);
      if (!r) throw new Error(`decision names unknown record ${decision.recordRef}`);
      r.participants.add(sender);
      if (id) this.messageIds.set(id, r.ref);
      return r.ref;
    }
    const kind = message.recordKind;
    this.counters[kind]++;
    const ref = `${this.prefixes[kind]}-${String(this.counters[kind]).padStart(6, '0')}`;
    this.records.set(ref, {
      ref,
      organisationId: this.organisationOf(sender),
      participants: new Set([sender]),
      linkedRef: decision.kind === 'new-linked' ? decision.linkedRef : undefined,
    });
    if (id) this.messageIds.set(id, ref);
    return ref;
  }
}

describe('threading truth on a generated conversation set', () => {
  const set = generateConversations({ seed: 20261102, messages: 1200 });

  it('is big and varied enough', () => {
    expect(set.senders.length).toBeGreaterThanOrEqual(100);
    expect(set.messages.length).toBeGreaterThanOrEqual(1000);
    expect(set.senders.some((s) => isFreeMailDomain(domainOf(s.address)))).toBe(true);
    const scenarios = new Set(set.messages.map((m) => m.scenario));
    for (const s of [
      'new',
      'reply-token',
      'reply-token-case-changed',
      'reply-headers',
      'reply-references-only',
      'subject-participant',
      'subject-outsider',
      'forward-participant',
      'forward-outsider',
      'colleague-contact',
      'colleague-domain',
      'freemail-stranger',
      'forged-token',
      'headers-beat-subject',
    ]) {
      expect(scenarios, s).toContain(s);
    }
  });

  it('is deterministic for a seed', () => {
    const again = generateConversations({ seed: 20261102, messages: 1200 });
    expect(again.messages.map((m) => [m.facts.messageId, m.facts.subject, m.expected.ref])).toEqual(
      set.messages.map((m) => [m.facts.messageId, m.facts.subject, m.expected.ref]),
    );
  });

  it.each([20261102, 1, 424242])('files every message on the right record (seed %i)', (seed) => {
    const data = seed === set.seed ? set : generateConversations({ seed, messages: 1200 });
    const prefixes = [data.prefixes.ticket, data.prefixes.lead];
    const store = new MemoryStore(data.organisations, data.prefixes);
    const failures: string[] = [];
    const perScenario = new Map<string, number>();
    for (const m of data.messages) {
      const keys = threadLookupKeys(m.facts, prefixes, data.secret);
      const decision = resolveThread(m.facts, { secret: data.secret, prefixes, ...store.lookupsFor(keys) });
      const ref = store.apply(decision, m);
      const e = m.expected;
      const linked = decision.kind === 'new-linked' ? decision.linkedRef : undefined;
      if (decision.kind !== e.kind || ref !== e.ref || linked !== e.linkedRef || decision.signal !== e.signal) {
        failures.push(
          `#${m.seq} ${m.scenario} from ${m.facts.from.address} "${m.facts.subject}": expected ${e.kind} ${e.ref}${e.linkedRef ? ` → ${e.linkedRef}` : ''} via ${e.signal}, got ${decision.kind} ${ref}${linked ? ` → ${linked}` : ''} via ${decision.signal} (${decision.reason})`,
        );
        if (failures.length >= 10) break;
      }
      perScenario.set(m.scenario, (perScenario.get(m.scenario) ?? 0) + 1);
    }
    expect(failures).toEqual([]);
    expect([...perScenario.values()].reduce((a, b) => a + b, 0)).toBe(data.messages.length);
  });
});
