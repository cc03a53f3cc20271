import { describe, expect, it } from 'vitest';
import {
  extractSubjectRefs,
  messageIdsIn,
  normaliseMessageId,
  normaliseSubject,
  resolveThread,
  threadLookupKeys,
  type ThreadLookups,
  type ThreadRecordInfo,
} from '../../src/threading/resolve-thread.ts';
import { makeMessageId } from '../../src/threading/thread-token.ts';

const SECRET = 'resolve-secret';
const DOMAIN = 'infracomfort.example';
const PREFIXES = ['SUP', 'LEAD'];

const sup1: ThreadRecordInfo = {
  participants: ['kari.nordmann@fjordvarme.example'],
  organisationDomains: ['fjordvarme.example'],
  organisationContacts: ['kari.nordmann@fjordvarme.example', 'ola.privat@gmail.com'],
};
const sup2: ThreadRecordInfo = {
  participants: ['solo@gmail.com'],
  organisationDomains: ['gmail.com'], // misconfigured on purpose: free-mail must never count
  organisationContacts: [],
};

function lookups(over: Partial<ThreadLookups> = {}): ThreadLookups {
  return {
    secret: SECRET,
    prefixes: PREFIXES,
    messageIds: new Map([['fixture-01@mail.customer.example', 'SUP-000001']]),
    records: new Map([
      ['SUP-000001', sup1],
      ['SUP-000002', sup2],
    ]),
    ...over,
  };
}

function msg(over: { from?: string; subject?: string; inReplyTo?: string; references?: string[] }) {
  return {
    from: { address: over.from ?? 'kari.nordmann@fjordvarme.example' },
    subject: over.subject ?? 'Hei',
    inReplyTo: over.inReplyTo,
    references: over.references ?? [],
  };
}

describe('resolveThread', () => {
  it('1: a signed token in In-Reply-To wins over everything', () => {
    const token = makeMessageId({ ticketRef: 'SUP-000007' }, SECRET, DOMAIN);
    const d = resolveThread(msg({ from: 'stranger@evil.example', subject: 'Re: [SUP-000001]', inReplyTo: token, references: ['<fixture-01@mail.customer.example>'] }), lookups());
    expect(d).toMatchObject({ kind: 'existing', recordRef: 'SUP-000007', signal: 'token' });
  });

  it('1: a token only in References, lower-cased by an MTA', () => {
    const token = makeMessageId({ ticketRef: 'SUP-000007' }, SECRET, DOMAIN).toUpperCase();
    const d = resolveThread(msg({ references: ['<a@b.example>', token] }), lookups());
    expect(d).toMatchObject({ kind: 'existing', recordRef: 'SUP-000007', signal: 'token' });
  });

  it('1: a forged token is ignored and weaker signals decide', () => {
    const forged = makeMessageId({ ticketRef: 'SUP-000002' }, 'guessed-secret', DOMAIN);
    expect(resolveThread(msg({ from: 'x@evil.example', inReplyTo: forged }), lookups())).toMatchObject({ kind: 'new', signal: 'none' });
  });

  it('2: fixture 05 — In-Reply-To names our unsigned ack, References the original', () => {
    const d = resolveThread(
      msg({
        subject: 'SV: [SUP-000001] Kan ikke logge inn i produktportalen',
        inReplyTo: '<ack-SUP-000001@infracomfort.example>',
        references: ['<fixture-01@mail.customer.example>', '<ack-SUP-000001@infracomfort.example>'],
      }),
      lookups(),
    );
    expect(d).toMatchObject({ kind: 'existing', recordRef: 'SUP-000001', signal: 'headers' });
  });

  it('2: stored ids match case-insensitively and without brackets', () => {
    const d = resolveThread(msg({ inReplyTo: 'FIXTURE-01@Mail.Customer.Example' }), lookups());
    expect(d).toMatchObject({ kind: 'existing', recordRef: 'SUP-000001', signal: 'headers' });
  });

  it('2: In-Reply-To beats References; References newest first', () => {
    const l = lookups({ messageIds: new Map([['a@x', 'SUP-A'], ['b@x', 'SUP-B'], ['c@x', 'SUP-C']]) });
    expect(resolveThread(msg({ inReplyTo: '<c@x>', references: ['<a@x>', '<b@x>'] }), l)).toMatchObject({ recordRef: 'SUP-C' });
    expect(resolveThread(msg({ references: ['<a@x> <b@x>'] }), l)).toMatchObject({ recordRef: 'SUP-B' });
  });

  it('3: subject ID from a participant', () => {
    expect(resolveThread(msg({ subject: 'Nytt spørsmål [SUP-000001]' }), lookups())).toMatchObject({ kind: 'existing', recordRef: 'SUP-000001', signal: 'subject' });
  });

  it('3: subject ID from a colleague at the organisation domain (case-insensitive address)', () => {
    expect(resolveThread(msg({ from: 'Per.Hansen@FjordVarme.example', subject: 'SV: SUP-000001' }), lookups())).toMatchObject({ kind: 'existing', signal: 'subject' });
  });

  it('3: subject ID from an organisation contact using free-mail', () => {
    expect(resolveThread(msg({ from: 'ola.privat@gmail.com', subject: 'sup-000001' }), lookups())).toMatchObject({ kind: 'existing', recordRef: 'SUP-000001' });
  });

  it('3: a stranger quoting an ID gets a new record linked to it', () => {
    const d = resolveThread(msg({ from: 'someone@othercorp.example', subject: 'Re: [SUP-000001] Kan ikke logge inn' }), lookups());
    expect(d).toMatchObject({ kind: 'new-linked', linkedRef: 'SUP-000001', signal: 'subject' });
  });

  it('3: a stranger on the same free-mail domain is no colleague', () => {
    const d = resolveThread(msg({ from: 'other@gmail.com', subject: '[SUP-000002]' }), lookups());
    expect(d).toMatchObject({ kind: 'new-linked', linkedRef: 'SUP-000002' });
  });

  it('3: an unauthenticated sender (DMARC fail) is not trusted even as a participant', () => {
    const d = resolveThread(msg({ subject: '[SUP-000001]' }), lookups({ senderAuthenticated: false }));
    expect(d).toMatchObject({ kind: 'new-linked', linkedRef: 'SUP-000001' });
  });

  it('3: domain trust can be switched off', () => {
    const d = resolveThread(msg({ from: 'per@fjordvarme.example', subject: '[SUP-000001]' }), lookups({ trustOrganisationDomain: false }));
    expect(d.kind).toBe('new-linked');
  });

  it('3: the first trusted of several IDs; an unknown ID alone gives a plain new record', () => {
    expect(resolveThread(msg({ from: 'solo@gmail.com', subject: 'SUP-000001 og SUP-000002' }), lookups())).toMatchObject({ kind: 'existing', recordRef: 'SUP-000002' });
    expect(resolveThread(msg({ subject: '[SUP-999999]' }), lookups())).toMatchObject({ kind: 'new', signal: 'none' });
  });

  it('4: nothing → new', () => {
    expect(resolveThread(msg({ subject: 'Bestilling 4471', inReplyTo: '<unknown@x.example>' }), lookups())).toMatchObject({ kind: 'new', signal: 'none' });
  });
});

describe('helpers', () => {
  it('normaliseSubject strips stacked reply/forward prefixes in many languages', () => {
    expect(normaliseSubject('SV: Sv: RE: Fwd: VS: AW: Antw: WG: [SUP-000001] Hei')).toBe('[SUP-000001] Hei');
    expect(normaliseSubject('Re[2]: Re(3): Tilbud')).toBe('Tilbud');
    expect(normaliseSubject('  Fwd:   Re:  spaced   out  ')).toBe('spaced out');
    expect(normaliseSubject('Reklamasjon: panel')).toBe('Reklamasjon: panel');
    expect(normaliseSubject('Svar på tilbud')).toBe('Svar på tilbud');
    expect(normaliseSubject('')).toBe('');
  });

  it('extractSubjectRefs', () => {
    expect(extractSubjectRefs('SV: [SUP-000123] Hei og LEAD-000045, sup-000123', PREFIXES)).toEqual(['SUP-000123', 'LEAD-000045']);
    expect(extractSubjectRefs('Bestilling 4471', PREFIXES)).toEqual([]);
    expect(extractSubjectRefs('XSUP-000123 SUP-000123X SUPPORT-1', PREFIXES)).toEqual([]);
    expect(extractSubjectRefs('[SAK-12]', ['SAK'])).toEqual(['SAK-12']);
  });

  it('threadLookupKeys names what to pre-fetch', () => {
    const token = makeMessageId({ ticketRef: 'LEAD-000003' }, SECRET, DOMAIN);
    const keys = threadLookupKeys({ subject: 'Re: [SUP-000001]', inReplyTo: '<A@B.example>', references: [`<c@d> ${token}`] }, PREFIXES, SECRET);
    expect(keys.messageIds).toEqual(['a@b.example', 'c@d', normaliseMessageId(token)]);
    expect(keys.recordRefs).toEqual(['SUP-000001', 'LEAD-000003']);
  });

  it('messageIdsIn tolerates junk', () => {
    expect(messageIdsIn('<a@b> junk <c@d>')).toEqual(['a@b', 'c@d']);
    expect(messageIdsIn('a@b c@d')).toEqual(['a@b', 'c@d']);
    expect(messageIdsIn(undefined)).toEqual([]);
  });
});
