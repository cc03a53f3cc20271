import { describe, expect, it } from 'vitest';
import { shouldAcknowledge, type AckInput } from '../../src/handlers/ack-policy.ts';
import { isNoReplyAddress } from '../../src/mail/address.ts';

const base: AckInput = {
  automatedKind: 'none',
  fromAddress: 'Kari.Nordmann@Fjordvarme.example',
  isReplyToExistingTicket: false,
  ticketAlreadyAcknowledged: false,
  recentAcksToRecipient: 0,
};

describe('shouldAcknowledge', () => {
  it('acknowledges the first message of a new ticket', () => {
    expect(shouldAcknowledge(base)).toEqual({ send: true, reason: expect.any(String) });
    expect(shouldAcknowledge({ ...base, automatedKind: null }).send).toBe(true);
    expect(shouldAcknowledge({ ...base, automatedKind: undefined }).send).toBe(true);
  });

  it.each(['bounce', 'auto-reply', 'list', 'loop'] as const)('never answers automated mail (%s)', (kind) => {
    const d = shouldAcknowledge({ ...base, automatedKind: kind });
    expect(d.send).toBe(false);
    expect(d.reason).toContain(kind);
  });

  it('never answers no-reply addresses', () => {
    expect(shouldAcknowledge({ ...base, fromAddress: 'noreply@infracomfort.example' }).send).toBe(false);
    expect(shouldAcknowledge({ ...base, fromAddress: 'MAILER-DAEMON@mx.example' }).send).toBe(false);
  });

  it('one acknowledgement per ticket, not per reply', () => {
    expect(shouldAcknowledge({ ...base, isReplyToExistingTicket: true }).send).toBe(false);
    expect(shouldAcknowledge({ ...base, ticketAlreadyAcknowledged: true }).send).toBe(false);
  });

  it('at most N per recipient per hour, default 3', () => {
    expect(shouldAcknowledge({ ...base, recentAcksToRecipient: 2 }).send).toBe(true);
    expect(shouldAcknowledge({ ...base, recentAcksToRecipient: 3 }).send).toBe(false);
    expect(shouldAcknowledge({ ...base, recentAcksToRecipient: 3, maxPerHour: 5 }).send).toBe(true);
    expect(shouldAcknowledge({ ...base, recentAcksToRecipient: 0, maxPerHour: 0 }).send).toBe(false);
  });

  it('never answers ourselves or an empty/broken address', () => {
    expect(shouldAcknowledge({ ...base, fromAddress: 'post@infracomfort.example', ownDomains: ['infracomfort.example'] }).send).toBe(false);
    expect(shouldAcknowledge({ ...base, fromAddress: 'Post@InfraComfort.example', ownAddresses: ['post@infracomfort.example'] }).send).toBe(false);
    expect(shouldAcknowledge({ ...base, fromAddress: '' }).send).toBe(false);
    expect(shouldAcknowledge({ ...base, fromAddress: 'broken@@' }).send).toBe(false);
    expect(shouldAcknowledge({ ...base, fromAddress: null }).send).toBe(false);
  });
});

describe('isNoReplyAddress', () => {
  it.each([
    'noreply@x.example',
    'no-reply@x.example',
    'no_reply@x.example',
    'NoReply@X.example',
    'donotreply@x.example',
    'do-not-reply@x.example',
    'mailer-daemon@x.example',
    'postmaster@x.example',
    'bounce@x.example',
    'bounces+abc=def@x.example',
    'bounce-1234-5678@x.example',
    'notifications@github.example',
    'notification@x.example',
    'shop-noreply@x.example',
    'noreply.eu@x.example',
    'owner-list@x.example',
    'list-request@x.example',
    'list-bounces@x.example',
  ])('%s is no-reply', (a) => expect(isNoReplyAddress(a)).toBe(true));

  it.each([
    'kari.nordmann@fjordvarme.example',
    'norah@x.example',
    'replies@x.example',
    'post@x.example',
    'bouncer.ola@x.example',
    'notodd@x.example',
    'post+salg@infracomfort.example',
  ])('%s is a person', (a) => expect(isNoReplyAddress(a)).toBe(false));
});
