import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { factsFromParsedMail, type MessageFacts } from '../../src/classify/message-facts.ts';
import { classifyMessage, type ClassifyContext } from '../../src/classify/classify.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  defaultKeywordRules,
  defaultRoutingConfig,
  loadKeywordRulesFile,
  routingConfigSchema,
} from '../../src/classify/routing-rules.ts';
import { compileTerm, TextIndex } from '../../src/classify/terms.ts';

const DEFAULT_KEYWORD_RULES = defaultKeywordRules();

const fixtureDir = new URL('../fixtures/mail/', import.meta.url);

async function fixture(name: string): Promise<MessageFacts> {
  return factsFromParsedMail(await simpleParser(readFileSync(new URL(name, fixtureDir))));
}

const config = defaultRoutingConfig;
const kari: ClassifyContext = {
  knownContact: { id: 'contact-kari', organisationId: 'org-fjordvarme', roles: ['support-contact'] },
  organisation: { id: 'org-fjordvarme', kind: 'customer' },
  config,
};
const unknown: ClassifyContext = { config };

function facts(partial: Partial<MessageFacts> & { text: string }): MessageFacts {
  return {
    references: [],
    from: { address: 'someone@customer.example', name: 'Someone' },
    replyTo: [],
    to: [{ address: 'post@infracomfort.example' }],
    cc: [],
    subject: '',
    headers: {},
    ...partial,
  };
}

describe('classifyMessage on fixtures', () => {
  it('01: known customer contact reporting a portal fault → support, nb', async () => {
    const r = classifyMessage(await fixture('01-support-nb.eml'), kari);
    expect(r.route).toBe('support');
    expect(r.language).toBe('nb');
    expect(r.privacyRights).toBeUndefined();
    expect(r.requester.address).toBe('kari.nordmann@fjordvarme.example');
    expect(r.reasons.some((x) => x.startsWith('known contact'))).toBe(true);
  });

  it('02: dealer-page contact form → sales lead for the person in Reply-To', async () => {
    const r = classifyMessage(await fixture('02-quote-request-en.eml'), unknown);
    expect(r.route).toBe('sales');
    expect(r.language).toBe('en');
    expect(r.contactForm).toEqual({
      name: "Liam O'Brien",
      email: 'liam@nordicbuild.example',
      company: 'Nordic Build Ltd',
      phone: '+47 401 22 333',
      dealerNumber: '1042',
      message:
        'We are planning 40 apartments in Stavanger and would like a quote for\ninfrared heating panels, including installation by your local dealer.',
    });
    expect(r.requester).toEqual({ address: 'liam@nordicbuild.example', name: "Liam O'Brien" });
  });

  it('03: innsyn → privacy access', async () => {
    const r = classifyMessage(await fixture('03-privacy-access-nb.eml'), kari);
    expect(r.route).toBe('privacy');
    expect(r.privacyRights).toEqual(['access']);
    expect(r.language).toBe('nb');
  });

  it('04: erasure request → privacy erasure, en (a newsletter mention does not add unsubscribe)', async () => {
    const r = classifyMessage(await fixture('04-privacy-erasure-en.eml'), unknown);
    expect(r.route).toBe('privacy');
    expect(r.privacyRights).toEqual(['erasure']);
    expect(r.language).toBe('en');
  });

  it('05: reply text (quoted acknowledgement ignored) reads as support', async () => {
    const r = classifyMessage(await fixture('05-reply-to-ticket-nb.eml'), kari);
    expect(r.route).toBe('support');
  });

  it('08: Latin-1 warranty question from an unknown private person → support', async () => {
    const r = classifyMessage(await fixture('08-latin1-nb.eml'), unknown);
    expect(r.route).toBe('support');
    expect(r.language).toBe('nb');
  });

  it('09: HTML-only English error report → support, en', async () => {
    const r = classifyMessage(await fixture('09-html-inline-image-en.eml'), unknown);
    expect(r.route).toBe('support');
    expect(r.language).toBe('en');
  });

  it('10: order with PDF → sales (the CRM keeps "e-mail about the purchase"), even from a customer', async () => {
    const f = await fixture('10-order-attachment-nb.eml');
    expect(classifyMessage(f, unknown).route).toBe('sales');
    const customer: ClassifyContext = { ...kari, knownContact: { id: 'c-siri', roles: [] } };
    const r = classifyMessage(f, customer);
    expect(r.route).toBe('sales');
    expect(r.reasons.some((x) => x.includes('attachment bestilling-4471.pdf'))).toBe(true);
  });

  it('11: reply to a newsletter asking to be removed → newsletter-reply with unsubscribe', async () => {
    const r = classifyMessage(await fixture('11-unsubscribe-reply-nb.eml'), unknown);
    expect(r.route).toBe('newsletter-reply');
    expect(r.privacyRights).toEqual(['unsubscribe']);
    expect(r.language).toBe('nb');
  });

  it('13: new mobile number → privacy rectification, despite the word "feil"', async () => {
    const r = classifyMessage(await fixture('13-privacy-rectify-nb.eml'), kari);
    expect(r.route).toBe('privacy');
    expect(r.privacyRights).toEqual(['rectification']);
  });

  it('12: malformed mail does not throw', async () => {
    const r = classifyMessage(await fixture('12-malformed.eml'), unknown);
    expect(['triage', 'support', 'sales', 'privacy', 'newsletter-reply']).toContain(r.route);
  });
});

describe('privacy needs a strong phrase or several signals', () => {
  it('"slette" in a fault report stays support', () => {
    const r = classifyMessage(
      facts({
        subject: 'Feil ved sletting av bruker',
        text: 'Hei,\n\nNår vi prøver å slette en bruker i portalen får vi feilmelding 500. Kan dere hjelpe oss?\n\nMvh\nOla',
      }),
      kari,
    );
    expect(r.route).toBe('support');
    expect(r.privacyRights).toBeUndefined();
    expect(r.scores.privacy).toBeLessThan(config.privacy.minScore);
  });

  it('"delete" alone in English is not privacy', () => {
    const r = classifyMessage(
      facts({ subject: 'Cannot delete schedule', text: 'The app shows an error when I try to delete a heating schedule.' }),
      unknown,
    );
    expect(r.route).toBe('support');
  });

  it('one weak privacy word with nothing else goes to triage, not privacy', () => {
    const r = classifyMessage(facts({ subject: 'Slett', text: 'Kan dere slette den?' }), unknown);
    expect(r.route).toBe('triage');
  });

  it('weak words add up: "slett" + "personopplysninger" + "GDPR" is privacy erasure', () => {
    const r = classifyMessage(
      facts({ subject: 'GDPR', text: 'Hei, vennligst slett alt dere har av personopplysninger om oss.' }),
      unknown,
    );
    expect(r.route).toBe('privacy');
    expect(r.privacyRights).toContain('erasure');
  });

  it('several rights in one mail are each reported', () => {
    const r = classifyMessage(
      facts({
        subject: 'Personvern',
        text: 'Jeg ber om innsyn i hvilke personopplysninger dere har om meg. Jeg vil også ha rettet mobilnummeret: riktig nummer er 900 00 000. Og meld meg av nyhetsbrevet.',
      }),
      unknown,
    );
    expect(r.route).toBe('privacy');
    expect(r.privacyRights).toEqual(expect.arrayContaining(['access', 'rectification', 'unsubscribe']));
  });

  it('nynorsk objection and do-not-track', () => {
    const r = classifyMessage(
      facts({ subject: 'Reservasjon', text: 'Eg reserverer meg mot marknadsføring, og ikkje spor meg i nyheitsbrevet.' }),
      unknown,
    );
    expect(r.route).toBe('privacy');
    expect(r.privacyRights).toEqual(expect.arrayContaining(['objection', 'do-not-track']));
  });

  it('a privacy request mixed with a strong support topic is never filed as a ticket', () => {
    const r = classifyMessage(
      facts({
        subject: 'Panel virker ikke, feilmelding E42, garanti?',
        text: 'Panelet virker ikke og viser feilkode E42. Reklamasjon? Får ikke logget inn heller. Og slett meg.',
      }),
      kari,
    );
    expect(r.scores.support).toBeGreaterThan(r.scores.privacy);
    expect(r.route).toBe('triage');
    expect(r.privacyRights).toContain('erasure');
  });
});

describe('other routing signals', () => {
  it('post+salg@ recipient routes to sales', () => {
    const r = classifyMessage(
      facts({ to: [{ address: 'Post+Salg@InfraComfort.example' }], subject: 'Spørsmål', text: 'Hei, har dere dette på lager?' }),
      unknown,
    );
    expect(r.route).toBe('sales');
  });

  it('support@ via Delivered-To (we were Bcc-ed) routes to support', () => {
    const r = classifyMessage(
      facts({ to: [{ address: 'someone@else.example' }], headers: { 'delivered-to': 'support@infracomfort.example' }, subject: 'Hei', text: 'Kan dere ringe meg?' }),
      unknown,
    );
    expect(r.route).toBe('support');
  });

  // Issue 16 changed this: mail that no signal claims is a support ticket (routing.defaultQueue).
  it('no signal at all → the default queue (support), or triage when config says so', () => {
    const f = facts({ subject: 'Hei', text: 'Ring meg.' });
    expect(classifyMessage(f, unknown).route).toBe('support');
    const strict = routingConfigSchema.parse({ defaultQueue: 'triage' });
    expect(classifyMessage(f, { config: strict }).route).toBe('triage');
  });

  // Issue 16 changed this: triage is for evidence split between queues that are both strong.
  it('sales and support both strong and close → triage', () => {
    const r = classifyMessage(
      facts({ subject: 'Spørsmål', text: 'Vi ønsker tilbud på nye paneler til kontoret. Og varmepumpa i kantina har feilkode E7 og blåser kaldt, kan dere sende en tekniker?' }),
      unknown,
    );
    expect(r.scores.sales).toBeGreaterThanOrEqual(config.thresholds.minScore);
    expect(r.scores.support).toBeGreaterThanOrEqual(config.thresholds.minScore);
    expect(Math.abs(r.scores.sales - r.scores.support)).toBeLessThan(config.thresholds.margin);
    expect(r.route).toBe('triage');
  });

  // Support and sales close: the kind of evidence settles it where only one side has its kind.
  it('a support/sales split is settled by the kind of evidence: an explicit ask without a fault is sales, something they own without an ask is support', () => {
    const ask = classifyMessage(
      facts({ subject: 'Tillegg til portalen', text: 'Vi bruker kundeportalen for varmepumpene våre i dag. Kan vi få et tilbud på modulen for luftkvalitet til tre bygg?' }),
      unknown,
    );
    expect(ask.route).toBe('sales');
    const owned = classifyMessage(
      facts({ subject: 'Ordre og faktura', text: 'Vi bestilte reservedeler til aggregatet vårt i mars og har fått ordrebekreftelse, men ingen faktura. Kan dere sende den?' }),
      unknown,
    );
    expect(owned.route).toBe('support');
  });

  it('offer and price words about something already bought are support; a wish for something new beside it is still sales', () => {
    const billed = classifyMessage(
      facts({ subject: 'Tilbud og faktura', text: 'Vi kjøpte ventilasjonsaggregat hos dere i april. Tilbudet lød på 41 000 med montering, men fakturaen kom på 45 500. Kan noen forklare forskjellen?' }),
      unknown,
    );
    expect(billed.route).toBe('support');
    expect(billed.reasons.join('\n')).toMatch(/halved: beside a past purchase/);
    const paid = classifyMessage(facts({ subject: 'quote vs bill', text: 'We paid the deposit on your quote in May and the price was fixed. Now a second invoice turned up for the same job. Please check it.' }), unknown);
    expect(paid.route).toBe('support');
    const again = classifyMessage(
      facts({ subject: 'En til', text: 'Vi kjøpte varmepumpe av dere i 2020 og er fornøyde. Nå vil vi gjerne ha en ny varmepumpe til hytta også, hva koster det med montering?' }),
      unknown,
    );
    expect(again.route).toBe('sales');
  });

  it('the writer\'s own data and a decisive right win privacy over the product words around them', () => {
    const r = classifyMessage(
      facts({ subject: 'prisforespørselen min', text: 'Jeg sendte en prisforespørsel om tilbud på varmepumpe i fjor. Nå ber jeg om at alt dere har lagret om meg slettes.' }),
      unknown,
    );
    expect(r.route).toBe('privacy');
    expect(r.privacyRights).toContain('erasure');
  });

  it('"they have it" outweighs a sales word over the same words: the unit you installed last year', () => {
    const r = classifyMessage(facts({ subject: 'odd noise', text: 'The heat pump you installed last year makes a rattling sound at start-up. Could someone have a look?' }), unknown);
    expect(r.route).toBe('support');
    expect(r.reasons.join('\n')).toMatch(/outweighed: sales\.project "installed"/);
  });

  it('an action on the writer\'s own data as a whole is privacy: "please correct my details", "forget me"', () => {
    expect(classifyMessage(facts({ subject: 'Records', text: 'My job title changed last month. Please update my details wherever you keep them.' }), unknown).route).toBe('privacy');
    expect(classifyMessage(facts({ subject: 'glem meg', text: 'Glem meg, takk.' }), unknown).route).not.toBe('support');
  });

  it('forwarded mail is classified on what was forwarded', () => {
    const r = classifyMessage(
      facts({
        subject: 'Fwd: Error code E42',
        text: 'See below.\n\n---------- Forwarded message ---------\nFrom: Tom <tom@x.example>\nDate: Mon, 2 Nov 2026\nSubject: Error code E42\n\nThe controller is not working and shows an error after the firmware update.',
      }),
      unknown,
    );
    expect(r.route).toBe('support');
  });

  it('a reply that says it passes a colleague\'s question on is classified on the question', () => {
    const text = 'Hei, eg sender dette vidare, for eg kan ikkje svare på det sjølv.\n\n> Frå: Ola Vik\n> Vifta på aggregatet på loftet durar og har stoppa to gonger i veka. Kan nokon sjå på det?\n';
    const r = classifyMessage(facts({ subject: 'SV: loftet', text }), unknown);
    expect(r.route).toBe('support');
    expect(r.reasons.some((x) => x.startsWith('support.fault'))).toBe(true);
  });

  it('keywords quoted from our own acknowledgement do not count', () => {
    const r = classifyMessage(
      facts({
        subject: 'SV: Panelet',
        text: 'Takk for raskt svar, panelet virker ikke fortsatt og viser feilmelding.\n\n> Takk for bestillingen. Vi sender tilbud og ordrebekreftelse.',
      }),
      unknown,
    );
    expect(r.scores.sales).toBe(0);
    expect(r.route).toBe('support');
  });

  it('a no-reply sender without form fields is not a contact form', () => {
    const r = classifyMessage(
      facts({ from: { address: 'noreply@vendor.example' }, subject: 'Your invoice', text: 'Your invoice is attached.' }),
      unknown,
    );
    expect(r.contactForm).toBeUndefined();
  });

  it('Norwegian form with form header and Forhandler field', () => {
    const r = classifyMessage(
      facts({
        from: { address: 'skjema@infracomfort.example' },
        replyTo: [{ address: 'ida@byggmester.example', name: 'Ida' }],
        headers: { 'x-mailroom-form': 'dealer' },
        subject: 'Henvendelse',
        text: 'Navn: Ida Berg\nFirma: Byggmester Berg AS\nTlf.: 900 11 222\nE-post: ida@byggmester.example\nForhandler: 2077\n\nMelding:\nVi ønsker pristilbud på 12 paneler.\nLevering i januar.',
      }),
      unknown,
    );
    expect(r.route).toBe('sales');
    expect(r.language).toBe('nb');
    expect(r.contactForm).toEqual({
      name: 'Ida Berg',
      email: 'ida@byggmester.example',
      company: 'Byggmester Berg AS',
      phone: '900 11 222',
      dealerNumber: '2077',
      message: 'Vi ønsker pristilbud på 12 paneler.\nLevering i januar.',
    });
  });

  it('prospects lean to sales, customers to support', () => {
    const f = facts({ subject: 'Spørsmål', text: 'Hei, kan dere ringe meg om panelene?' });
    expect(classifyMessage(f, { config, organisation: { id: 'o', kind: 'prospect' } }).scores.sales).toBeGreaterThan(0);
    expect(classifyMessage(f, { config, organisation: { id: 'o', kind: 'customer' } }).scores.support).toBeGreaterThan(0);
  });
});

describe('routing config', () => {
  it('an absent section gives the defaults; every shipped term compiles', () => {
    expect(routingConfigSchema.parse(undefined)).toEqual(defaultRoutingConfig);
    for (const rule of DEFAULT_KEYWORD_RULES) {
      for (const t of Object.values(rule.terms).flat()) expect(() => compileTerm(t)).not.toThrow();
    }
    expect(new Set(DEFAULT_KEYWORD_RULES.map((r) => r.id)).size).toBe(DEFAULT_KEYWORD_RULES.length);
  });

  it('a broken shipped rules file is refused, naming the rule id and its key', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mailroom-rules-'));
    const file = path.join(dir, 'rules.yaml');
    const attempt = (text?: string) => {
      if (text === undefined) rmSync(file, { force: true });
      else writeFileSync(file, text);
      try {
        loadKeywordRulesFile(file);
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    };
    try {
      const rule = (body: string) => `rules:\n  - id: a.ok\n    queue: sales\n    weight: 1\n    terms: { en: [pump] }\n  - id: b.bad\n${body}`;
      expect(attempt(rule('    queue: sales\n    weight: 1\n    terms: { nb: [ok, "slett* .."] }\n'))).toMatch(/rules\.yaml: b\.bad: terms\.nb\[1\]: invalid term/);
      expect(attempt(rule('    queue: sale\n    weight: 1\n    terms: {}\n'))).toMatch(/b\.bad: queue: /);
      expect(attempt(rule('    queue: sales\n    wieght: 1\n    weight: 1\n    terms: {}\n'))).toMatch(/b\.bad: wieght: unknown key/);
      expect(attempt(rule('    queue: sales\n    weight: 1\n    terms: { fr: [x] }\n'))).toMatch(/b\.bad: terms\.fr: unknown key/);
      expect(attempt('rules:\n  - id: a\n    queue: spam\n    weight: 1\n    terms: {}\n  - id: a\n    queue: spam\n    weight: 2\n    terms: {}\n')).toMatch(/: a: id used twice/);
      expect(attempt('rules: [\n')).toMatch(/is not valid YAML/);
      expect(attempt('rules:\n  - id: a\n    queue: spam\n    weight: 1\n    terms: {}\n')).toBe('accepted');
      expect(attempt(undefined)).toMatch(/rules\.yaml: cannot be read \(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects unknown keys and queues with a path naming them', () => {
    const bad = routingConfigSchema.safeParse({ thresholds: { minScroe: 2 } });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('minScroe');
    const badQueue = routingConfigSchema.safeParse({ recipients: [{ pattern: 'x@*', weights: { billing: 3 } }] });
    expect(badQueue.success).toBe(false);
    const badRegex = routingConfigSchema.safeParse({ contactForm: { dealerNumberPatterns: ['(unclosed'] } });
    expect(badRegex.success).toBe(false);
  });

  it('extra rules and re-weighting change the outcome', () => {
    const tuned = routingConfigSchema.parse({
      keywords: [{ id: 'sales.heatpump', queue: 'sales', weight: 4, terms: { nb: ['varmepumpe*'] } }],
      ruleWeights: { 'support.fault': 0 },
    });
    const r = classifyMessage(facts({ subject: 'Varmepumpe', text: 'Vi har en feil og vurderer varmepumpe.' }), { config: tuned });
    expect(r.route).toBe('sales');
    expect(r.reasons.some((x) => x.startsWith('support.fault'))).toBe(false);
  });

  it('term syntax: stems, gaps and whole words', () => {
    expect(compileTerm('slett* .. personopplysning*').test('slette alle mine personopplysninger')).toBe(true);
    expect(compileTerm('slett* .. personopplysning*').test('slette personopplysningene')).toBe(true);
    expect(compileTerm('feil').test('feilfri')).toBe(false);
    expect(compileTerm('meld meg av').test('Meld\nmeg av')).toBe(true);
    expect(compileTerm('art. 15').test('jf. art. 15 GDPR')).toBe(true);
  });

  it('TextIndex finds exactly the words a Unicode split finds (letters and digits of any script)', () => {
    const texts = [
      'Hei! Varmepumpa på anlegg 12B står – feilkode E7; ÆØÅ æøå ÿ Straße ſ',
      'Ελληνικά, кириллица и 中文字符, 𝐀𝐁𝐂 math letters, emoji 😀 between, ①②③ and Ⅻ',
      'unpaired \ud800 high and \udc00 low surrogates, a\u0301 combining, tab\tand\nnew line',
      '',
      '---',
    ];
    for (const text of texts) {
      const expected = new Set(text.toLowerCase().replace(/ſ/g, 's').split(/[^\p{L}\p{N}]+/u).filter(Boolean));
      const index = new TextIndex(text);
      expect(index.size, text).toBe(expected.size);
      for (const w of expected) expect(index.has({ text: w, prefix: false }), w).toBe(true);
    }
  });

  it('a term matches every form with its stem, in its own language (issue 16)', () => {
    const nb = (t: string) => compileTerm(t, 'no');
    const en = (t: string) => compileTerm(t, 'en');
    for (const [term, text] of [
      ['hjelp', 'Kan dere hjelpe oss?'], ['hjelp', 'Det hjelper ikke'], ['svarer', 'Styringa svarar ikkje'],
      ['stoppet', 'pumpa har stoppa'], ['fungerer', 'omnen fungerar ikkje'], ['rette', 'Eg vil ha retta nummeret'],
      ['rette', 'Har dere rettet det?'], ['opplysninger', 'alle opplysningane'], ['varmepumpe', 'varmepumpa står'],
    ]) expect(nb(term!).test(text!), `${term} in ${text}`).toBe(true);
    expect(compileTerm('tilbud', 'no').test('eit tilbod')).toBe(false); // different stems: both forms are listed
    expect(en('delete my .. data').test('Please delete my personal data')).toBe(true);
    expect(en('track').test('you are tracking me')).toBe(true);
    // Stems apply in the text's own language: English "stored" is not Norwegian "store" (big).
    expect(new TextIndex('på det store møterommet', new Set(['no'])).matches(en('stored'))).toBe(false);
    expect(new TextIndex('the data you have stored', new Set(['en'])).matches(en('store'))).toBe(true);
  });

  it('a gap allows up to six words within one sentence, not across sentences', () => {
    const t = compileTerm('slett* .. om meg', 'no');
    expect(t.test('Slett all informasjon dere har lagret om meg.')).toBe(true);
    expect(t.test('Kan dere slette den gamle planen? Den handler om meg.')).toBe(false);
    expect(compileTerm('art. 15').test('jf. art. 15 GDPR')).toBe(true);
    expect(compileTerm('ikke spor*', 'no').test('Jeg vil ikke. Spor opp fakturaen.')).toBe(false);
  });

  it("a term's words are in every text the term matches, whatever the case (the prefilter never hides a hit)", () => {
    expect(compileTerm('slett* .. personopplysning*').words.map((w) => [w.text, w.prefix])).toEqual([['slett', true], ['personopplysning', true]]);
    expect(compileTerm('art. 15').words.map((w) => w.text)).toEqual(['art', '15']);
    expect(new TextIndex('Jeg vil SLETTE alt').has({ text: 'slett', prefix: true })).toBe(true);
    expect(new TextIndex('Jeg vil slette alt').has({ text: 'slett', prefix: false })).toBe(false);
    expect(new TextIndex('Unſubscribe').has({ text: 'unsubscribe', prefix: false })).toBe(true);
    const texts = [
      'SLETTE ALLE MINE PERSONOPPLYSNINGER', 'Meld\nmeg av', 'jf. ART. 15 GDPR', 'Ærlig talt: ØNSKER INNSYN i data',
      'Kan De sende FAKTURA?', 'We would like a QUOTE for 40 units', 'Unſubscribe me', 'varmepumpe til hytta',
    ];
    let terms = 0;
    const matched = new Set<string>();
    for (const rule of DEFAULT_KEYWORD_RULES) {
      for (const [key, list] of Object.entries(rule.terms)) {
        for (const term of list ?? []) {
          terms++;
          const compiled = compileTerm(term, key === 'en' ? 'en' : key === 'all' ? 'exact' : 'no');
          for (const text of [...texts, term.replace(/\*/g, 'er').replace(/ \.\. /g, ' '), term.toUpperCase().replace(/\*/g, '').replace(/ \.\. /g, ' ')]) {
            if (!compiled.test(text)) continue;
            matched.add(term);
            const index = new TextIndex(text);
            expect(compiled.words.every((w) => index.has(w)), `${term} in ${text}`).toBe(true);
          }
        }
      }
    }
    // The check above runs only where a term matches: most shipped terms must have been tried.
    expect(matched.size).toBeGreaterThan(terms * 0.9);
  });
});

describe('issue 16: every ordinary first-contact mail gets the record a person would make', () => {
  const first = (subject: string, text: string, from = 'kunde@example.no') => classifyMessage(facts({ from: { address: from }, subject, text }), unknown);

  it('the five examples of the issue: support (nb, nn, en), sales, privacy rectification', () => {
    expect(first('', 'Hei, varmepumpa sier feilkode E5. Kan dere hjelpe?')).toMatchObject({ route: 'support', language: 'nb' });
    expect(first('', 'Styringa av varmepanela i 3. etasje svarar ikkje etter oppdateringa i går. Kan de sjå på det?')).toMatchObject({ route: 'support', language: 'nn' });
    expect(first('', 'The building management dashboard has been blank since your update yesterday.')).toMatchObject({ route: 'support', language: 'en' });
    expect(first('', 'Vi bygger 40 nye leiligheter i Bergen og vil gjerne ha et tilbud på varmepumper.')).toMatchObject({ route: 'sales', language: 'nb' });
    const rectify = first('', 'Eg vil ha retta telefonnummeret mitt hos dykk, det de har registrert er feil.');
    expect(rectify).toMatchObject({ route: 'privacy', language: 'nn', privacyRights: ['rectification'] });
  });

  it('mail no queue claims goes to routing.defaultQueue, and says so', () => {
    const r = first('Hei', 'Kan dere ringe meg i morgen?');
    expect(r.route).toBe('support');
    expect(r.reasons.at(-1)).toMatch(/no queue claims it .*routing\.defaultQueue is support/);
    const toSales = routingConfigSchema.parse({ defaultQueue: 'sales' });
    expect(classifyMessage(facts({ subject: 'Hei', text: 'Kan dere ringe meg i morgen?' }), { config: toSales }).route).toBe('sales');
    expect(routingConfigSchema.safeParse({ defaultQueue: 'privacy' }).success).toBe(false);
  });

  it('a system address gets no default route (an empty bounce that slipped through)', () => {
    const r = first('Re: Test message', '', 'post_master@vtext.example.com');
    expect(r.route).toBe('triage');
    expect(r.reasons.at(-1)).toMatch(/system address/);
  });

  it('spam is its own route, whatever prices it names; privacy still wins over it', () => {
    const pitch = first('Your website is not on page 1', 'We noticed your site lacks backlinks. Our SEO team can fix that; pricing from $99. Reply for a free audit.');
    expect(pitch.route).toBe('spam');
    expect(pitch.scores.spam).toBeGreaterThanOrEqual(config.spam.minScore);
  });

  it('privacy evidence below privacy.triageScore is ignored; from it up, alone, it goes to triage', () => {
    expect(first('Anlegget', 'Ring meg på nummeret mitt, 41234567. Anlegget står.').route).toBe('support');
    expect(first('Slett', 'Kan dere slette den?').route).toBe('triage');
  });

  it('what they already have is support, what they want is sales', () => {
    // An agreement they pay for: a question about what it covers is no sale.
    expect(first('Avtalen', 'Vi har serviceavtale på varmepumpa i kjelleren. Er det inkludert i avtalen at dere skifter viftemotoren, eller er det ekstra?').route).toBe('support');
    expect(first('Our contract', 'We have a service agreement with you for the two heat pumps at the school. Is the annual leak check covered by the agreement?').route).toBe('support');
    // Filters for the unit they own, bought to fit it themselves.
    expect(first('Filtre', 'Hvilke filtre skal jeg kjøpe til aggregatet i boden? Vil gjøre det selv denne gangen.').route).toBe('support');
    // Moving a booked visit is neither a sale nor someone who has moved house.
    const moved = first('Besøket på fredag', 'Vi er på hytta fredag. Kan de flytte servicebesøket til måndag?');
    expect(moved.route).toBe('support');
    expect(moved.scores.privacy).toBe(0);
    // Extending an agreement to more buildings, or replacing rather than repairing, is sales.
    expect(first('Tre nye bygg', 'Vi ønsker å utvide serviceavtalen til også å gjelde tre nye skolebygg. Hva vil det koste per år?').route).toBe('sales');
    expect(first('Old boiler', 'The boiler keeps failing. We would replace it rather than repair it again; could you quote for a heat pump?').route).toBe('sales');
  });

  it('idioms and stems that are not what they look like', () => {
    // "setter pris på" is thanks, not a price; "bygget" is the building, not building one.
    expect(first('Varmen', 'Radiatorene i bygget er lunkne siden mandag. Setter pris på om noen ser på det.').route).toBe('support');
  });

  it('a privacy request in the passive, or naming what the law lets them keep, is an erasure', () => {
    const nn = first('Kundehistorikk', 'Eg har ikkje vore kunde sidan 2017 og vil ha ordrehistorikken min sletta.');
    expect(nn).toMatchObject({ route: 'privacy', privacyRights: ['erasure'] });
    const en = first('Data', "Please erase anything about me that you are not required to keep, and stop the advertising.");
    expect(en.route).toBe('privacy');
    expect(en.privacyRights).toEqual(expect.arrayContaining(['erasure', 'objection']));
    expect(first('Kontaktperson', 'Eg har slutta i firmaet. Eg ber om at kontoen min og opplysningane om meg vert sletta.').privacyRights).toEqual(['erasure']);
  });

  it('privacy in indirect words: someone else\'s data, being watched, a changed name (batch i6\'s kinds, in other words)', () => {
    const deceased = first('Farmor', 'Farmor gikk bort i høst. Hun fikk fortsatt brev fra dere. Vær snill å slette alt dere har om henne. Hilsen barnebarnet Ola');
    expect(deceased).toMatchObject({ route: 'privacy', privacyRights: ['erasure'] });
    expect(first('Thermostat data', "I use your smart thermostat at the cottage. I don't want my usage tracked and sent to analytics companies.").route).toBe('privacy');
    expect(first('Nytt etternavn', 'Hei! Jeg heter nå Kari Lund, ikke Kari Berg. Kan dere ordne det?')).toMatchObject({ route: 'privacy', privacyRights: ['rectification'] });
  });

  it('a nynorsk confidentiality footer (teieplikt, avsendar) does not make a fault report private', () => {
    const r = first('Kald stove', 'Omnen i stova blir ikkje varm sidan i går. Kan de sjå på han?\n\nDenne e-posten kan innehalde teiepliktig informasjon. Har du fått han ved ein feil, ver venleg å slette han og gi melding til avsendar.');
    expect(r.route).toBe('support');
    expect(r.scores.privacy).toBe(0);
  });

  it('an owner asking what one more costs is buying; a boss "in a meeting" who needs a payment is spam', () => {
    expect(first('Tilbud', 'Vi har to varmepumper fra dere som vi er fornøyd med. Hva koster en til for garasjen, montert?').route).toBe('sales');
    expect(first('Haster', 'Hei, jeg sitter i møte hele dagen. Du må gjennomføre en betaling til en ny leverandør før kl 12, kontodetaljer kommer. Ikke snakk med noen om dette.').route).toBe('spam');
  });

  it('a legal footer that says delete and personal data does not make a fault report private', () => {
    const r = first(
      'Termostat på møterommet',
      'Termostaten på møterommet reagerer ikke, og det er 17 grader der.\n\nMvh\nPer\n\nDenne e-posten kan inneholde personopplysninger og er kun ment for riktig mottaker. Har du mottatt den ved en feil, gi beskjed til avsender og slett den.',
    );
    expect(r.route).toBe('support');
    expect(r.scores.privacy).toBe(0);
  });
});
