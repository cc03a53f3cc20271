import { describe, expect, it } from 'vitest';
import { formatMailbox, isEmailAddress, parseMailbox } from '../../src/mail/address.ts';
import { resolveSenders } from '../../src/mail/senders.ts';

describe('mailboxes (src/mail/address.ts)', () => {
  it('reads a sender setting with or without a display name, and refuses lists, groups and non-addresses', () => {
    expect(parseMailbox('InfraComfort <post@infracomfort.example>')).toEqual({ ok: true, mailbox: { name: 'InfraComfort', address: 'post@infracomfort.example' } });
    expect(parseMailbox('"Fjordvarme AS, drift" <drift@fjordvarme.example>')).toEqual({ ok: true, mailbox: { name: 'Fjordvarme AS, drift', address: 'drift@fjordvarme.example' } });
    expect(parseMailbox(' post@fjordvarme.example ')).toEqual({ ok: true, mailbox: { name: '', address: 'post@fjordvarme.example' } });
    expect(parseMailbox('Åsne <åsne@blåbær.example>').ok).toBe(true);
    for (const bad of ['Fjordvarme', 'a@fjordvarme.example, b@fjordvarme.example', 'Drift: a@fjordvarme.example;', 'Drift <drift at fjordvarme.example>', '', 'a@b.example\r\nBcc: x@y.example']) {
      expect(parseMailbox(bad).ok, bad).toBe(false);
    }
  });

  it('writes a mailbox back so that it reads the same, quoting what needs quotes', () => {
    for (const name of ['Fjordvarme', 'Fjordvarme AS, drift', 'Kari "Drift" Nordmann', 'F. Varme', 'Åsne Ødegård', '']) {
      const text = formatMailbox({ name, address: 'drift@fjordvarme.example' });
      expect(parseMailbox(text)).toEqual({ ok: true, mailbox: { name, address: 'drift@fjordvarme.example' } });
    }
    expect(formatMailbox({ name: 'Fjordvarme', address: 'a@b.example' })).toBe('Fjordvarme <a@b.example>');
  });

  it('tells addresses from other text; recipients may be asked for a dotted domain', () => {
    expect(isEmailAddress('mailroom@localhost')).toBe(true);
    expect(isEmailAddress('mailroom@localhost', { dottedDomain: true })).toBe(false);
    for (const bad of ['no-at.example', 'a@@b.example', 'a b@c.example', '<a@b.example>', 'a@-b.example']) expect(isEmailAddress(bad), bad).toBe(false);
  });

  it('per-queue senders fall back to MAIL_FROM; a From without a name keeps the default name', () => {
    const s = resolveSenders({ name: '', address: 'post@fjordvarme.example' }, { fromName: 'Fjordvarme', senders: { sales: { from: { name: '', address: 'salg@fjordvarme.example' }, replyTo: { name: 'Salg', address: 'selgere@fjordvarme.example' } } } });
    expect(s.support).toEqual({ from: { name: 'Fjordvarme', address: 'post@fjordvarme.example' } });
    expect(s.sales).toEqual({ from: { name: 'Fjordvarme', address: 'salg@fjordvarme.example' }, replyTo: { name: 'Salg', address: 'selgere@fjordvarme.example' } });
  });
});
