import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { splitReply, splitReplyLines, bodyPart } from '../../src/threading/quote-split.ts';

const fixtureDir = new URL('../fixtures/mail/', import.meta.url);
async function fixtureText(name: string): Promise<string> {
  return (await simpleParser(readFileSync(new URL(name, fixtureDir)))).text ?? '';
}

describe('splitReply on fixtures', () => {
  it('05: reply above a > quote, first name as sign-off stays', async () => {
    const r = splitReply(await fixtureText('05-reply-to-ticket-nb.eml'));
    expect(r.newText).toBe('Hei igjen,\n\nNå fungerer innloggingen for de fleste, men to brukere får fortsatt feilen.\n\nKari');
    expect(r.quoted).toContain('> Hei Kari, vi har registrert saken din');
    expect(r.signature).toBe('');
  });

  it('01: "Mvh" block is the signature', async () => {
    const r = splitReply(await fixtureText('01-support-nb.eml'));
    expect(r.newText).toMatch(/^Hei,\n\nVi får ikke logget inn[\s\S]*snarest\?$/);
    expect(r.signature).toBe('Mvh\nKari Nordmann\nDriftsleder, Fjordvarme AS\nTlf 912 34 567');
    expect(r.quoted).toBe('');
  });

  it('02: "-- " delimiter', async () => {
    const r = splitReply(await fixtureText('02-quote-request-en.eml'));
    expect(r.signature).toBe('Sent from the dealer page of Varme & Bad Stryn (dealer no. 1042)');
    expect(r.newText).toContain('infrared heating panels');
  });

  it('08: one-line "Hilsen Name"', async () => {
    const r = splitReply(await fixtureText('08-latin1-nb.eml'));
    expect(r.signature).toBe('Hilsen Bjørn Ærø');
    expect(r.newText).toContain('Serienummer: IC-600-8812');
  });

  it('11: one sentence above a quote', async () => {
    const r = splitReply(await fixtureText('11-unsubscribe-reply-nb.eml'));
    expect(r).toEqual({ newText: 'Meld meg av nyhetsbrevet, takk.', quoted: '> InfraComfort Nyhetsbrev – november', signature: '' });
  });
});

describe('splitReply attribution styles', () => {
  it('English Gmail "On … wrote:" with > quote', () => {
    const r = splitReply('Thanks, works now.\n\nOn Mon, 2 Nov 2026 at 09:21, Support <post@infracomfort.example> wrote:\n> We have registered your case.\n> Regards');
    expect(r.newText).toBe('Thanks, works now.');
    expect(r.quoted).toBe('On Mon, 2 Nov 2026 at 09:21, Support <post@infracomfort.example> wrote:\n> We have registered your case.\n> Regards');
  });

  it('attribution wrapped over two lines', () => {
    const r = splitReply('Ok!\n\nOn Mon, 2 Nov 2026 at 09:21, InfraComfort Kundeservice\n<post@infracomfort.example> wrote:\n> Hei');
    expect(r.newText).toBe('Ok!');
    expect(r.quoted).toContain('<post@infracomfort.example> wrote:');
  });

  it('Norwegian "Den … skrev …:" and Gmail "man. 2. nov. … skrev"', () => {
    const a = splitReply('Takk!\n\nDen 2. nov. 2026 kl. 09:21 skrev Kundeservice <post@infracomfort.example>:\n> Hei');
    expect(a.newText).toBe('Takk!');
    const b = splitReply('Takk!\n\nman. 2. nov. 2026 kl. 09:21 skrev Kundeservice <post@infracomfort.example>:\n\n> Hei');
    expect(b.newText).toBe('Takk!');
    expect(b.quoted).toContain('> Hei');
  });

  it('"-----Original Message-----" / "-----Opprinnelig melding-----" without > prefixes', () => {
    const en = splitReply('Please see below.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nTo: Kari\nSubject: Case\n\nWe have registered your case.');
    expect(en.newText).toBe('Please see below.');
    expect(en.quoted).toMatch(/^-----Original Message-----[\s\S]*registered your case\.$/);
    const nb = splitReply('Se under.\n\n-----Opprinnelig melding-----\nFra: Kundeservice\nSendt: 2. november 2026 09:21\nTil: Kari\nEmne: Sak\n\nHei');
    expect(nb.newText).toBe('Se under.');
  });

  it('Outlook "Fra:/Sendt:" block after an underscore line', () => {
    const r = splitReply(
      'Hei,\nfortsatt feil.\n\nMvh Siri\n\n________________________________\nFra: InfraComfort Kundeservice <post@infracomfort.example>\nSendt: mandag 2. november 2026 09:21\nTil: Siri Lie\nEmne: [SUP-000004] Feil\n\nHei Siri, vi ser på saken.',
    );
    expect(r.newText).toBe('Hei,\nfortsatt feil.');
    expect(r.signature).toBe('Mvh Siri');
    expect(r.quoted).toMatch(/^_+\nFra: InfraComfort/);
  });

  it('English Outlook "From:/Sent:" block without separator', () => {
    const r = splitReply('Still broken.\n\nFrom: Support <post@infracomfort.example>\nSent: Monday, November 2, 2026 9:21 AM\nTo: Tom\nSubject: RE: Error\n\nHello Tom');
    expect(r.newText).toBe('Still broken.');
    expect(r.quoted).toContain('Hello Tom');
  });

  it('forwarded message: nothing new, everything is quoted', () => {
    const r = splitReply('---------- Forwarded message ---------\nFrom: Tom <tom@x.example>\nDate: Mon\nSubject: E42\n\nBroken.');
    expect(r.newText).toBe('');
    expect(r.quoted).toContain('Broken.');
  });
});

describe('splitReply is conservative', () => {
  it('keeps interleaved answers between quotes', () => {
    const text = 'On Mon, 2 Nov 2026, Support <post@x.example> wrote:\n> Which model?\nIC-600.\n> Which floor?\nSecond floor.\n\nTom';
    const r = splitReply(text);
    expect(r.newText).toBe('IC-600.\nSecond floor.\n\nTom');
    expect(r.quoted).toContain('> Which model?');
    expect(r.quoted).toContain('> Which floor?');
  });

  it('bottom-posted reply below the quote is kept', () => {
    const r = splitReply('On 2 Nov 2026, Support <post@x.example> wrote:\n> Is it fixed?\n\nYes, thank you!');
    expect(r.newText).toBe('Yes, thank you!');
  });

  it('a sentence that merely starts like a sign-off far from the end is not a signature', () => {
    const lines = ['Hilsen fra oss alle her.', ...Array.from({ length: 12 }, (_, i) => `Linje ${i + 1} med innhold.`)];
    const r = splitReply(lines.join('\n'));
    expect(r.newText).toBe(lines.join('\n'));
    expect(r.signature).toBe('');
  });

  it('"skrev" in prose without a date or address is not an attribution', () => {
    const text = 'Som jeg skrev i forrige uke:\nPanelet virker ikke.';
    expect(splitReply(text).newText).toBe(text);
  });

  it('a lone sign-off line is never all the new text', () => {
    expect(splitReply('Mvh').newText).toBe('Mvh');
  });

  it('mobile footers', () => {
    expect(splitReply('Ok, takk.\n\nSendt fra min iPhone')).toEqual({ newText: 'Ok, takk.', quoted: '', signature: 'Sendt fra min iPhone' });
    expect(splitReply('Fine.\n\nSent from my iPhone').signature).toBe('Sent from my iPhone');
  });

  it('nothing is lost: every non-blank input line is in exactly one part', () => {
    const text =
      'Hei,\n\nSvar her.\n> sitat\nMer svar.\n\nMed vennlig hilsen\nOla Hansen\nByggmester AS\n\nDen 1. nov. 2026 kl. 10:00 skrev Kundeservice <post@x.example>:\nTidligere tekst';
    const r = splitReply(text);
    const out = [r.newText, r.quoted, r.signature].join('\n').split('\n').filter((l) => l.trim());
    expect(out.sort()).toEqual(text.split('\n').filter((l) => l.trim()).sort());
  });

  it('handles CRLF and empty input', () => {
    expect(splitReply('A\r\n\r\n> b').newText).toBe('A');
    expect(splitReply('')).toEqual({ newText: '', quoted: '', signature: '' });
  });

  it('the split as line ranges gives back the same parts (how a stored message keeps its text once)', async () => {
    const texts = [
      'Hei,\n\nSvar her.\n> sitat\nMer svar.\n\nMed vennlig hilsen\nOla Hansen\nByggmester AS\n\nDen 1. nov. 2026 kl. 10:00 skrev Kundeservice <post@x.example>:\nTidligere tekst',
      'A\r\n\r\n> b\r\nC\rD',
      'Ok, takk.\n\nSendt fra min iPhone',
      '',
      '\n\n',
      ...(await Promise.all(['01-support-nb.eml', '05-reply-to-ticket-nb.eml', '11-unsubscribe-reply-nb.eml'].map((f) => fixtureText(f)))),
    ];
    for (const text of texts) {
      const split = splitReplyLines(text);
      const parts = splitReply(text);
      expect({ newText: bodyPart(text, split.new), quoted: bodyPart(text, split.quoted), signature: bodyPart(text, split.signature) }).toEqual(parts);
    }
  });
});
