import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseMessage } from '../../src/ingest/parse-message.ts';
import { recogniseAutomatedMail } from '../../src/ingest/automated-mail.ts';

const OPTS = { ownDomains: ['infracomfort.example'], ownMessageIdDomain: 'mailroom.infracomfort.example' };
const fx = (name: string) => readFileSync(new URL(`../fixtures/mail/${name}`, import.meta.url));

async function recognise(raw: Buffer | string) {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.replace(/\n/g, '\r\n'));
  return recogniseAutomatedMail(await parseMessage(buf), buf, OPTS);
}

const mail = (headers: string, body = 'Hello') => `${headers.trim()}\nContent-Type: text/plain; charset=utf-8\n\n${body}\n`;

describe('mail fixtures', () => {
  it('06 out-of-office is an auto-reply', async () => {
    const r = await recognise(fx('06-out-of-office-nb.eml'));
    expect(r.kind).toBe('auto-reply');
  });

  it('07 DSN is a hard 5.1.1 bounce for the failed recipient', async () => {
    const r = await recognise(fx('07-bounce-dsn.eml'));
    expect(r.kind).toBe('bounce');
    expect(r.bounce?.recipients).toEqual([
      { address: 'gone.person@oldcustomer.example', status: '5.1.1', action: 'failed', diagnostic: 'smtp; 550 5.1.1 User unknown', hard: true },
    ]);
    expect(r.bounce?.originalMessageId).toBe('<campaign-7-recipient-311@infracomfort.example>');
  });

  it('ordinary customer mail is human', async () => {
    for (const n of ['01-support-nb.eml', '02-quote-request-en.eml', '03-privacy-access-nb.eml', '04-privacy-erasure-en.eml', '05-reply-to-ticket-nb.eml', '08-latin1-nb.eml', '09-html-inline-image-en.eml', '10-order-attachment-nb.eml', '11-unsubscribe-reply-nb.eml', '12-malformed.eml', '13-privacy-rectify-nb.eml']) {
      expect((await recognise(fx(n))).kind, n).toBe('human');
    }
  });
});

describe('auto-replies', () => {
  const base = 'From: Kari <kari@kunde.example>\nTo: post@infracomfort.example\nMessage-ID: <a1@kunde.example>';
  it.each([
    ['Auto-Submitted: auto-replied', 'Subject: Re: hei'],
    ['Auto-Submitted: auto-generated', 'Subject: notice'],
    ['X-Autoreply: yes', 'Subject: Re: hei'],
    ['X-Autorespond: on', 'Subject: Re: hei'],
    ['Precedence: bulk', 'Subject: Re: hei'],
    ['Precedence: junk', 'Subject: Re: hei'],
    ['', 'Subject: Automatisk svar: Spørsmål om faktura'],
    ['', 'Subject: Fraværsmelding'],
    ['', 'Subject: Ikke til stede: Spørsmål'],
    ['', 'Subject: Automatic reply: Question'],
    ['', 'Subject: Out of Office: Question'],
  ])('%s %s', async (h, s) => {
    expect((await recognise(mail([base, h, s].filter(Boolean).join('\n')))).kind).toBe('auto-reply');
  });

  it('Auto-Submitted: no is not an auto-reply', async () => {
    expect((await recognise(mail(`${base}\nAuto-Submitted: no\nSubject: Hei`))).kind).toBe('human');
  });

  it('X-Auto-Response-Suppress alone (Outlook sets it on normal mail) is not enough', async () => {
    expect((await recognise(mail(`${base}\nX-Auto-Response-Suppress: All\nSubject: Faktura 123`))).kind).toBe('human');
    const r = await recognise(mail(`${base}\nX-Auto-Response-Suppress: All\nSubject: Ferie`, 'Jeg er på ferie og er tilbake den 15. juli.'));
    expect(r.kind).toBe('auto-reply');
  });

  it('weak subject words need auto-reply wording in the body', async () => {
    expect((await recognise(mail(`${base}\nSubject: Spørsmål om stenging i ferien`, 'Har dere åpent i juli?'))).kind).toBe('human');
    expect((await recognise(mail(`${base}\nSubject: Re: Spørsmål – fravær`, 'Jeg er fraværende og tilbake mandag 3. august.'))).kind).toBe('auto-reply');
  });

  it('a person may title a question "Ferie" or "Vacation": only the responder\'s prefix form or its wording counts', async () => {
    const human = [
      ['Ferie', 'Hvordan setter vi anlegget i frostsikring mens vi er bortreiste i romjula?'],
      ['Vacation', 'We are away for three weeks from Saturday. Should the heat pump be left on?'],
      ['Absence of heat in the west wing', 'Nothing since the weekend, radiators cold.'],
    ];
    for (const [subject, body] of human) expect((await recognise(mail(`${base}\nSubject: ${subject}`, body))).kind, subject).toBe('human');
    expect((await recognise(mail(`${base}\nSubject: Ferie: Re: Spørsmål om service`, 'Takk for e-posten.'))).kind).toBe('auto-reply');
    expect((await recognise(mail(`${base}\nSubject: Ferie`, 'Er på ferie til 5. august. Hilsen Kari'))).kind).toBe('auto-reply');
  });
});

describe('mailing lists', () => {
  it('List-Id or Precedence: list is mailing-list', async () => {
    const base = 'From: news@leverandor.example\nTo: post@infracomfort.example\nSubject: Nyhetsbrev';
    expect((await recognise(mail(`${base}\nList-Id: <news.leverandor.example>`))).kind).toBe('mailing-list');
    expect((await recognise(mail(`${base}\nPrecedence: list`))).kind).toBe('mailing-list');
    expect((await recognise(mail(`${base}\nPrecedence: bulk\nList-Unsubscribe: <mailto:u@leverandor.example>`))).kind).toBe('mailing-list');
  });
});

describe('loops', () => {
  it('our own X-Mailroom-Id header is a loop', async () => {
    const r = await recognise(mail('From: post@infracomfort.example\nTo: post@infracomfort.example\nSubject: Sak SUP-000001\nX-Mailroom-Id: outbox-17'));
    expect(r.kind).toBe('loop');
  });

  it('a reply to our Message-ID from a null or own sender is a loop; from a customer it is not', async () => {
    const refs = 'In-Reply-To: <outbox-17@mailroom.infracomfort.example>';
    expect((await recognise(mail(`Return-Path: <>\nFrom: post@infracomfort.example\nTo: post@infracomfort.example\nSubject: Re: Sak\n${refs}`))).kind).toBe('loop');
    expect((await recognise(mail(`From: kari@kunde.example\nTo: post@infracomfort.example\nSubject: Re: Sak\n${refs}`))).kind).toBe('human');
  });
});

describe('bounces (non-DSN formats)', () => {
  it('qmail', async () => {
    const r = await recognise(
      mail(
        'From: MAILER-DAEMON@mx.kunde.example\nTo: nyhetsbrev@infracomfort.example\nSubject: failure notice',
        "Hi. This is the qmail-send program at mx.kunde.example.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n<ola@kunde.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n--- Below this line is a copy of the message.\n\nReturn-Path: <nyhetsbrev@infracomfort.example>\nTo: ola@kunde.example\n",
      ),
    );
    expect(r.kind).toBe('bounce');
    expect(r.bounce?.recipients[0]).toMatchObject({ address: 'ola@kunde.example', status: '5.1.1', hard: true });
  });

  it('exim with X-Failed-Recipients, soft (mailbox full, 4.x.x)', async () => {
    const r = await recognise(
      mail(
        'From: Mail Delivery System <Mailer-Daemon@mx.kunde.example>\nTo: nyhetsbrev@infracomfort.example\nSubject: Mail delivery failed: returning message to sender\nX-Failed-Recipients: kari@kunde.example',
        'This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. The following address(es) failed:\n\n  kari@kunde.example\n    host mx.kunde.example: 452 4.2.2 Mailbox full\n',
      ),
    );
    expect(r.kind).toBe('bounce');
    expect(r.bounce?.recipients).toHaveLength(1);
    expect(r.bounce?.recipients[0]).toMatchObject({ address: 'kari@kunde.example', status: '4.2.2', hard: false });
  });

  it('DSN with Action: delayed is soft', async () => {
    const raw = [
      'From: MAILER-DAEMON@mx.infracomfort.example',
      'To: nyhetsbrev@infracomfort.example',
      'Subject: Delayed Mail (still being retried)',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
      '',
      '--B',
      'Content-Type: text/plain',
      '',
      'Delayed.',
      '--B',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.infracomfort.example',
      '',
      'Final-Recipient: rfc822; per@kunde.example',
      'Action: delayed',
      'Status: 4.4.1',
      '',
      '--B--',
      '',
    ].join('\n');
    const r = await recognise(raw);
    expect(r.kind).toBe('bounce');
    expect(r.bounce?.recipients[0]).toMatchObject({ address: 'per@kunde.example', action: 'delayed', hard: false });
  });
});

describe('feedback reports', () => {
  it('ARF is a feedback-report carrying the complaining recipient', async () => {
    const raw = [
      'From: feedback@isp.example',
      'To: abuse@infracomfort.example',
      'Subject: FW: Nyhetsbrev',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=feedback-report; boundary="B"',
      '',
      '--B',
      'Content-Type: text/plain',
      '',
      'This is an email abuse report.',
      '--B',
      'Content-Type: message/feedback-report',
      '',
      'Feedback-Type: abuse',
      'User-Agent: SomeGenerator/1.0',
      'Version: 1',
      'Original-Rcpt-To: <kari@kunde.example>',
      '',
      '--B',
      'Content-Type: message/rfc822',
      '',
      'From: nyhetsbrev@infracomfort.example',
      'To: kari@kunde.example',
      'Subject: Nyhetsbrev',
      'Message-ID: <c1@mailroom.infracomfort.example>',
      '',
      'hei',
      '--B--',
      '',
    ].join('\n');
    const r = await recognise(raw);
    expect(r.kind).toBe('feedback-report');
    expect(r.bounce?.feedbackType).toBe('abuse');
    expect(r.bounce?.recipients[0]).toMatchObject({ address: 'kari@kunde.example', action: 'complaint', hard: false });
    expect(r.bounce?.originalMessageId).toBe('<c1@mailroom.infracomfort.example>');
  });
});
