import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { bodyText, factsFromParsedMail } from '../../src/classify/message-facts.ts';
import { detectLanguage, explainLanguage } from '../../src/classify/language.ts';

const fixtureDir = new URL('../fixtures/mail/', import.meta.url);

async function fixtureText(name: string): Promise<string> {
  const facts = factsFromParsedMail(await simpleParser(readFileSync(new URL(name, fixtureDir))));
  return `${facts.subject}\n${bodyText(facts)}`;
}

describe('detectLanguage on fixtures', () => {
  it.each([
    ['01-support-nb.eml', 'nb'],
    ['02-quote-request-en.eml', 'en'],
    ['03-privacy-access-nb.eml', 'nb'],
    ['04-privacy-erasure-en.eml', 'en'],
    ['05-reply-to-ticket-nb.eml', 'nb'],
    ['06-out-of-office-nb.eml', 'nb'],
    ['08-latin1-nb.eml', 'nb'],
    ['09-html-inline-image-en.eml', 'en'],
    ['10-order-attachment-nb.eml', 'nb'],
    ['11-unsubscribe-reply-nb.eml', 'nb'],
    ['13-privacy-rectify-nb.eml', 'nb'],
  ] as const)('%s → %s', async (file, expected) => {
    expect(detectLanguage(await fixtureText(file))).toBe(expected);
  });

  it('franc alone would call fixture 01 nynorsk; the word heuristic corrects it', async () => {
    const evidence = explainLanguage(await fixtureText('01-support-nb.eml'));
    expect(evidence.language).toBe('nb');
    expect(evidence.bokmal).toBeGreaterThan(evidence.nynorsk);
  });
});

describe('detectLanguage on hand-written text', () => {
  it.each([
    ['Hei, eg får ikkje logga inn i portalen. Kva kan eg gjere?', 'nn'],
    ['Kan de sjå på dette? Det verkar ikkje.', 'nn'],
    ['Me har eit problem med panelet. Det fungerer ikkje etter straumbrotet.', 'nn'],
    ['Korleis kan eg endre passordet mitt? Eg har berre fått ein feilmelding.', 'nn'],
    ['Venleg helsing frå Voss. Kvifor er fakturaen så høg?', 'nn'],
    ['Hei, jeg får ikke logget inn. Hva gjør jeg?', 'nb'],
    ['Hvordan endrer jeg passordet mitt? Jeg har bare fått en feilmelding.', 'nb'],
    ['Kan dere sende et tilbud på 20 paneler?', 'nb'],
    ['Varmepanelet på badet har sluttet å virke etter strømbruddet i går.', 'nb'],
    ['Hello, the controller shows an error code after the firmware update.', 'en'],
    ['Please remove me from your mailing list.', 'en'],
    ['Could you send us a quote for 40 panels?', 'en'],
    ['Thanks!', 'en'],
  ] as const)('%s → %s', (text, expected) => {
    expect(detectLanguage(text)).toBe(expected);
  });

  it('defaults to bokmål for short or empty Norwegian-ish text', () => {
    expect(detectLanguage('')).toBe('nb');
    expect(detectLanguage('Takk')).toBe('nb');
    expect(detectLanguage('OK')).toBe('nb');
    expect(detectLanguage('Meld meg av nyhetsbrevet, takk.')).toBe('nb');
    expect(detectLanguage('Bestilling 4471')).toBe('nb');
  });

  it('one nynorsk-looking word in bokmål text does not flip it', () => {
    // "me" and "ein" also occur in quoted names and English; bokmål markers win.
    expect(detectLanguage('Hei, jeg ringte dere i går. Kan dere ringe meg tilbake? Ein kollega sa det var ok.')).toBe('nb');
  });

  it('ignores quoted history when deciding', () => {
    const text = 'Thanks, that fixed it.\n\n> Hei, vi har registrert saken din. Vennlig hilsen kundeservice.\n> Jeg håper dette hjelper.';
    expect(detectLanguage(text)).toBe('en');
  });

  it('English with a Norwegian name and place stays English', () => {
    expect(detectLanguage('Hello, this is Bjørn Ærø from Tromsø. Our panel is not working after the power cut.')).toBe('en');
  });
});
