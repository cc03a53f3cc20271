/**
 * Schema and defaults of the `routing` section of config/mailroom.yaml.
 *
 * Every key has a default, so `routingConfigSchema.parse(undefined)` is the shipped rule
 * set (`defaultRoutingConfig`). Operators tune by adding rules (`keywords`), re-weighting
 * or disabling shipped ones by id (`ruleWeights`), or replacing them wholesale
 * (`includeDefaultKeywords: false`). See src/classify/README.md for the scoring model.
 */
import { z } from 'zod';

export const QUEUES = ['support', 'sales', 'privacy', 'newsletter-reply'] as const;
export type Queue = (typeof QUEUES)[number];

export const PRIVACY_RIGHTS = [
  'access',
  'rectification',
  'completion',
  'erasure',
  'objection',
  'unsubscribe',
  'do-not-track',
] as const;
export type PrivacyRight = (typeof PRIVACY_RIGHTS)[number];

export const ORGANISATION_KINDS = ['customer', 'partner', 'dealer', 'prospect'] as const;
export type OrganisationKind = (typeof ORGANISATION_KINDS)[number];

// ---------------------------------------------------------------------------------------
// Term syntax (used by keyword rules and contact-form subject patterns):
//   - matched case-insensitively on whole words ("feil" does not match "feilfri");
//   - `*` at the end of a word matches any ending ("slett*" → slette, sletting, slettet);
//   - whitespace matches any whitespace, including line breaks;
//   - ` .. ` between words allows up to four words in between
//     ("slett* .. personopplysninger" → "slette alle mine personopplysninger").
// Kept deliberately smaller than regular expressions so that staff can edit the YAML.
// ---------------------------------------------------------------------------------------

const WORD_CHAR = '[\\p{L}\\p{N}]';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compileTerm(term: string): RegExp {
  const trimmed = term.trim();
  if (!trimmed) throw new Error('empty term');
  const parts = trimmed.split(/\s+\.\.\s+/);
  const compiledParts = parts.map((part) => {
    if (!part || part === '..') throw new Error(`bad gap in term "${term}"`);
    return part
      .split(/\s+/)
      .map((w) => escapeRegExp(w).replace(/\\\*/g, `${WORD_CHAR}*`))
      .join('\\s+');
  });
  const body = compiledParts.join(`(?:\\s+\\S+){0,4}?\\s+`);
  return new RegExp(`(?<!${WORD_CHAR})${body}(?!${WORD_CHAR})`, 'iu');
}

/**
 * The words every match of `compileTerm(term)` must contain as whole words of the text
 * (`prefix`: the word must start with `text`), lower-cased. Words with other characters than
 * letters and digits are left out, so the list only ever says "cannot match", never "matches".
 * Looking them up in a WordIndex of the text costs far less than running each compiled
 * expression (Unicode, case-insensitive, with look-behind) over a long body.
 */
export function termWords(term: string): { text: string; prefix: boolean }[] {
  return term
    .trim()
    .split(/\s+/)
    .filter((w) => /^[\p{L}\p{N}]+\*?$/u.test(w))
    .map((w) => ({ text: w.replace(/\*$/, '').toLowerCase(), prefix: w.endsWith('*') }));
}

const WORD_CHARACTER = /^[\p{L}\p{N}]$/u;
/** Per UTF-16 code unit (surrogates aside): 1 a letter or digit, 2 not, 0 not asked yet. */
const wordUnit = new Int8Array(0x10000);

/** Whether the code point starting at `i` is a letter or digit; a BMP character is looked up once. */
function isWordAt(text: string, unit: number, i: number): boolean {
  if (unit >= 0xd800 && unit <= 0xdfff) return WORD_CHARACTER.test(String.fromCodePoint(text.codePointAt(i)!));
  let known = wordUnit[unit]!;
  if (known === 0) known = wordUnit[unit] = WORD_CHARACTER.test(String.fromCharCode(unit)) ? 1 : 2;
  return known === 1;
}

/**
 * The words of a text (runs of letters and digits, as `[\p{L}\p{N}]+` finds them),
 * lower-cased, for termWords' test. Built by one pass over the characters: splitting with a
 * Unicode expression cost half of classifying a long message.
 */
export class WordIndex {
  private readonly words = new Set<string>();
  private sorted?: string[];

  constructor(text: string) {
    // Case-insensitive matching folds a few characters toLowerCase leaves alone; of those only
    // the long s (ſ) folds to a letter a term can hold.
    const lower = text.toLowerCase().replace(/ſ/g, 's');
    let start = -1;
    for (let i = 0; i < lower.length; i++) {
      const unit = lower.charCodeAt(i);
      const known = wordUnit[unit];
      if (known === 1 || (known !== 2 && isWordAt(lower, unit, i))) {
        if (start < 0) start = i;
      } else if (start >= 0) {
        this.words.add(lower.slice(start, i));
        start = -1;
      }
      // The second half of a surrogate pair belongs to the character just looked at.
      if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < lower.length && (lower.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    }
    if (start >= 0) this.words.add(lower.slice(start));
  }

  /** How many distinct words the text has. */
  get size(): number {
    return this.words.size;
  }

  has(word: { text: string; prefix: boolean }): boolean {
    if (!word.prefix) return this.words.has(word.text);
    // Sorted only when a stem is asked for.
    const sorted = (this.sorted ??= [...this.words].sort());
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < word.text) lo = mid + 1;
      else hi = mid;
    }
    return lo < sorted.length && sorted[lo]!.startsWith(word.text);
  }
}

/** Glob for addresses, Message-IDs and file names: `*` any run, `?` one character. */
export function compileGlob(glob: string): RegExp {
  const body = glob
    .trim()
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escapeRegExp(c)))
    .join('');
  return new RegExp(`^${body}$`, 'i');
}

const term = z.string().superRefine((value, ctx) => {
  try {
    compileTerm(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `invalid term: ${(err as Error).message}` });
  }
});

const regexSource = z.string().superRefine((value, ctx) => {
  try {
    new RegExp(value, 'iu');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(err as Error).message}` });
  }
});

const weights = z
  .object({
    support: z.number().optional(),
    sales: z.number().optional(),
    privacy: z.number().optional(),
    'newsletter-reply': z.number().optional(),
  })
  .strict();
export type QueueWeights = z.infer<typeof weights>;

const termsByLanguage = z
  .object({
    nb: z.array(term).optional(),
    nn: z.array(term).optional(),
    en: z.array(term).optional(),
    /** Language-neutral terms (GDPR, article numbers, product codes). */
    all: z.array(term).optional(),
  })
  .strict();

export const keywordRuleSchema = z
  .object({
    /** Stable name: shown in reasons, and the key for `ruleWeights`. */
    id: z.string().min(1),
    queue: z.enum(QUEUES),
    /** For privacy (and unsubscribe) rules: which right the wording asks for. */
    right: z.enum(PRIVACY_RIGHTS).optional(),
    weight: z.number(),
    /** Where to look. Each rule counts at most once in the subject and once in the body. */
    in: z.enum(['any', 'subject', 'body']).default('any'),
    terms: termsByLanguage,
  })
  .strict();
export type KeywordRule = z.infer<typeof keywordRuleSchema>;

const addressRule = z.object({ pattern: z.string().min(1), weights }).strict();

const attachmentRule = z
  .object({
    filename: z.string().min(1).optional(),
    contentType: z.string().min(1).optional(),
    weights,
  })
  .strict();

const contactFormFields = z
  .object({
    name: z.array(z.string()).default(['Navn', 'Name', 'Fullt navn', 'Full name', 'Kontaktperson', 'Contact person']),
    email: z.array(z.string()).default(['E-post', 'Epost', 'E-postadresse', 'E-mail', 'Email', 'Email address']),
    company: z
      .array(z.string())
      .default(['Firma', 'Bedrift', 'Selskap', 'Firmanavn', 'Company', 'Organisation', 'Organization']),
    phone: z.array(z.string()).default(['Telefon', 'Tlf', 'Mobil', 'Mobilnummer', 'Phone', 'Mobile', 'Telephone']),
    dealerNumber: z
      .array(z.string())
      .default(['Forhandler', 'Forhandlarnr', 'Forhandlernr', 'Forhandlernummer', 'Dealer', 'Dealer no', 'Dealer number']),
    message: z
      .array(z.string())
      .default(['Melding', 'Henvendelse', 'Kommentar', 'Beskjed', 'Message', 'Comment', 'Comments', 'Enquiry', 'Inquiry']),
  })
  .strict()
  .prefault({});

const weightsDefault = (w: QueueWeights) => weights.default(w);

export const routingConfigSchema = z
  .object({
    thresholds: z
      .object({
        /** The winning queue must reach this score, or the message goes to triage. */
        minScore: z.number().default(3),
        /** …and beat the runner-up by this much. */
        margin: z.number().default(2),
      })
      .strict()
      .prefault({}),
    privacy: z
      .object({
        /**
         * A privacy route needs at least this much privacy evidence. The shipped strong
         * phrases weigh 5 on their own; single words ("slett", "delete") weigh less, so
         * they only count together with other signals.
         */
        minScore: z.number().default(4),
        /** A right is reported only with at least this much evidence for it. */
        rightMinScore: z.number().default(2),
      })
      .strict()
      .prefault({}),
    sender: z
      .object({
        knownContact: weightsDefault({ support: 1 }),
        unknownSender: weightsDefault({}),
        /** Per contact role (e.g. support-contact, ops-notice-contact, superuser). */
        roles: z.record(z.string(), weights).default({ 'support-contact': { support: 1 } }),
        organisationKinds: z
          .object({
            customer: weightsDefault({ support: 2 }),
            partner: weightsDefault({ support: 1 }),
            dealer: weightsDefault({ sales: 1 }),
            prospect: weightsDefault({ sales: 2 }),
          })
          .strict()
          .prefault({}),
        /** Glob on the sender's domain, e.g. `*.kommune.no`. */
        domains: z.array(addressRule).default([]),
      })
      .strict()
      .prefault({}),
    /** Glob on each To/Cc/Delivered-To/X-Original-To address; each rule counts once. */
    recipients: z.array(addressRule).default([
      { pattern: 'post+salg@*', weights: { sales: 6 } },
      { pattern: 'salg@*', weights: { sales: 6 } },
      { pattern: 'sales@*', weights: { sales: 6 } },
      { pattern: 'post+support@*', weights: { support: 6 } },
      { pattern: 'support@*', weights: { support: 6 } },
      { pattern: 'kundeservice@*', weights: { support: 4 } },
      { pattern: 'personvern@*', weights: { privacy: 3 } },
      { pattern: 'privacy@*', weights: { privacy: 3 } },
      { pattern: 'nyhetsbrev@*', weights: { 'newsletter-reply': 3 } },
    ]),
    includeDefaultKeywords: z.boolean().default(true),
    /** Extra keyword rules, applied after the shipped ones. */
    keywords: z.array(keywordRuleSchema).default([]),
    /** Override the weight of any rule by id; 0 switches it off. */
    ruleWeights: z.record(z.string(), z.number()).default({}),
    attachments: z.array(attachmentRule).default([
      { filename: '*bestilling*', weights: { sales: 2 } },
      { filename: '*innkjøpsordre*', weights: { sales: 2 } },
      { filename: '*order*', weights: { sales: 2 } },
      { filename: '*tilbud*', weights: { sales: 1 } },
      { filename: '*quote*', weights: { sales: 1 } },
    ]),
    newsletter: z
      .object({
        /** Globs on In-Reply-To/References ids (without <>) of our own campaign mail. */
        messageIdPatterns: z.array(z.string()).default(['campaign-*@*', 'newsletter-*@*', 'nyhetsbrev-*@*']),
        weights: weightsDefault({ 'newsletter-reply': 4 }),
      })
      .strict()
      .prefault({}),
    contactForm: z
      .object({
        enabled: z.boolean().default(true),
        /** Globs on the From address of web-form robots. */
        fromPatterns: z
          .array(z.string())
          .default([
            'noreply@*',
            'no-reply@*',
            'donotreply@*',
            'skjema@*',
            'kontaktskjema@*',
            'webskjema@*',
            'webform@*',
            'form@*',
            'forms@*',
            'wordpress@*',
          ]),
        /** Headers whose presence marks a form submission (case-insensitive names). */
        headers: z.array(z.string()).default(['x-mailroom-form', 'x-form-id', 'x-webform']),
        /** Terms on the subject that mark a form submission. */
        subjectTerms: z
          .array(term)
          .default(['contact form', 'web form', 'kontaktskjema', 'webskjema', 'nettskjema', 'forhandlerside*', 'dealer page']),
        fields: contactFormFields,
        /** At least this many recognised `Label: value` lines (besides the message). */
        minFields: z.number().int().min(1).default(2),
        /** Finds a dealer number outside the fields, e.g. "(dealer no. 1042)"; group 1 is the number. */
        dealerNumberPatterns: z
          .array(regexSource)
          .default([
            '\\b(?:dealer|forhandler|forhandlar)\\s*(?:no\\.?|nr\\.?|number|nummer|id)?\\s*[:#]?\\s*(\\d{2,8})\\b',
          ]),
        weights: weightsDefault({ sales: 2 }),
        dealerWeights: weightsDefault({ sales: 2 }),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export type RoutingConfig = z.infer<typeof routingConfigSchema>;
export type RoutingConfigInput = z.input<typeof routingConfigSchema>;

// ---------------------------------------------------------------------------------------
// Shipped keyword rules. Weight guide: 1 hint, 2 clear topic word, 3 strong topic word,
// 5 decisive phrase (enough on its own for privacy.minScore).
// ---------------------------------------------------------------------------------------
export const DEFAULT_KEYWORD_RULES: readonly KeywordRule[] = [
  // ----- support
  {
    id: 'support.fault',
    queue: 'support',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['feil', 'feilen', 'feilmelding*', 'feilkode*', 'virker ikke', 'fungerer ikke', 'funker ikke', 'sluttet å virke', 'defekt', 'ødelagt', 'problem*', 'lekker', 'brent', 'kortslutning'],
      nn: ['verkar ikkje', 'fungerer ikkje', 'slutta å verke', 'øydelagd', 'øydelagt'],
      en: ['error*', 'fault*', 'not working', "doesn't work", 'does not work', "isn't working", 'stopped working', 'broken', 'defect*', 'problem*', 'issue', 'issues', 'bug', 'bugs', 'malfunction*', 'outage'],
    },
  },
  {
    id: 'support.login',
    queue: 'support',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['logg* inn', 'innlogging*', 'pålogging*', 'passord*', 'låst ute', 'tilgang til portal*'],
      nn: ['logg* inn', 'innlogging*', 'passord*'],
      en: ['log in', 'login', 'logon', 'sign in', 'password*', 'locked out'],
    },
  },
  {
    id: 'support.cannot',
    queue: 'support',
    weight: 1,
    in: 'any',
    terms: {
      nb: ['kan ikke', 'får ikke', 'klarer ikke', 'virker ikke'],
      nn: ['kan ikkje', 'får ikkje', 'klarar ikkje'],
      en: ['cannot', "can't", 'unable to'],
    },
  },
  {
    id: 'support.warranty',
    queue: 'support',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['garanti*', 'reklamasjon*', 'reklamere', 'reparasjon*', 'reparere', 'serviceavtale*', 'servicebesøk'],
      nn: ['garanti*', 'reklamasjon*', 'reparasjon*'],
      en: ['warranty', 'guarantee', 'repair*', 'rma', 'service visit'],
    },
  },
  {
    id: 'support.product-detail',
    queue: 'support',
    weight: 1,
    in: 'any',
    terms: {
      nb: ['serienummer', 'oppdatering*', 'termostat*', 'kontroller*', 'sikring*', 'strømbrudd*'],
      nn: ['serienummer', 'oppdatering*', 'straumbrot*'],
      en: ['serial number', 'firmware', 'update', 'controller', 'thermostat', 'power cut', 'power outage'],
    },
  },
  {
    id: 'support.help',
    queue: 'support',
    weight: 1,
    in: 'any',
    terms: {
      nb: ['hjelp', 'brukerstøtte', 'kundeservice', 'support', 'snarest', 'haster'],
      nn: ['hjelp', 'brukarstøtte'],
      en: ['help', 'support', 'assistance', 'troubleshoot*', 'urgent', 'asap'],
    },
  },
  // ----- sales
  {
    id: 'sales.quote',
    queue: 'sales',
    weight: 3,
    in: 'any',
    terms: {
      nb: ['tilbud', 'tilbudet', 'pristilbud', 'prisforespørsel', 'prisoverslag', 'anbud*'],
      nn: ['tilbod', 'tilbodet', 'pristilbod'],
      en: ['quote', 'quotes', 'quotation*', 'rfq', 'request for quote', 'price list', 'pricing', 'tender'],
    },
  },
  {
    id: 'sales.order',
    queue: 'sales',
    weight: 3,
    in: 'any',
    terms: {
      nb: ['bestilling*', 'bestille', 'bestiller', 'ordre', 'ordren', 'ordrenummer', 'innkjøpsordre', 'kjøpe', 'kjøp av', 'ordrebekreftelse'],
      nn: ['tinging*', 'tinge', 'bestilling*', 'kjøpe'],
      en: ['purchase order', 'place an order', 'new order', 'our order', 'order number', 'order no', 'would like to order', 'want to order', 'order confirmation', 'purchase', 'buy'],
    },
  },
  {
    id: 'sales.interest',
    queue: 'sales',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['interessert i', 'ønsker å kjøpe', 'leveranse*', 'levering', 'leveringstid', 'leiligheter', 'nybygg*', 'forhandler*', 'installasjon'],
      nn: ['interessert i', 'ønskjer å kjøpe', 'leveranse*', 'levering', 'leilegheiter', 'forhandlar*'],
      en: ['interested in', 'would like to buy', 'apartments', 'new build*', 'delivery', 'deliveries', 'dealer', 'distributor*', 'reseller*', 'installation'],
    },
  },
  {
    id: 'sales.price',
    queue: 'sales',
    weight: 1,
    in: 'any',
    terms: {
      nb: ['pris', 'priser', 'prisen', 'kostnad*', 'rabatt*', 'volumrabatt'],
      nn: ['pris', 'prisar', 'prisen', 'kostnad*'],
      en: ['price', 'prices', 'cost', 'costs', 'discount*'],
    },
  },
  // ----- privacy: general signals (no right of their own)
  {
    id: 'privacy.personal-data',
    queue: 'privacy',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['personopplysning*', 'personlige opplysninger', 'persondata', 'personvern*'],
      nn: ['personopplysning*', 'personlege opplysningar', 'personvern*'],
      en: ['personal data', 'personal information', 'data protection', 'privacy'],
    },
  },
  {
    id: 'privacy.law',
    queue: 'privacy',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['personopplysningsloven', 'personvernforordning*', 'datatilsynet'],
      en: ['data protection authority', 'supervisory authority'],
      all: ['gdpr', 'gdpr-*'],
    },
  },
  // ----- privacy: access
  {
    id: 'privacy.access.phrase',
    queue: 'privacy',
    right: 'access',
    weight: 5,
    in: 'any',
    terms: {
      nb: ['be om innsyn', 'ber om innsyn', 'krav om innsyn', 'rett til innsyn', 'innsynsbegjæring', 'innsynskrav', 'hvilke personopplysninger', 'hvilke opplysninger .. om meg', 'kopi av .. personopplysning*', 'kopi av .. opplysning* .. om meg', 'artikkel 15'],
      nn: ['kva personopplysning*', 'kva opplysningar .. om meg', 'kopi av .. opplysningar'],
      en: ['right of access', 'right to access', 'access request', 'subject access', 'copy of .. personal data', 'what personal data', 'which personal data', 'what data .. about me', 'access to my .. data', 'article 15'],
      all: ['art. 15', 'art 15'],
    },
  },
  {
    id: 'privacy.access.word',
    queue: 'privacy',
    right: 'access',
    weight: 3,
    in: 'any',
    terms: { nb: ['innsyn'], nn: ['innsyn'], en: ['data export', 'export of my data'] },
  },
  // ----- privacy: rectification
  {
    id: 'privacy.rectification.phrase',
    queue: 'privacy',
    right: 'rectification',
    weight: 5,
    in: 'any',
    terms: {
      nb: ['retting av .. opplysning*', 'rette .. opplysning*', 'korrigere .. opplysning*', 'oppdatere .. opplysning*', 'registrert på meg .. feil', 'registrert på meg .. stemmer ikke', 'opplysning* .. om meg .. feil', 'rett til retting'],
      nn: ['retting av .. opplysningar', 'rette .. opplysningar', 'registrert på meg .. feil'],
      en: ['rectify', 'rectification', 'correct my .. data', 'correct my .. details', 'update my .. details', 'my .. details are wrong', 'incorrect .. personal data', 'article 16'],
      all: ['art. 16', 'art 16'],
    },
  },
  {
    id: 'privacy.rectification.word',
    queue: 'privacy',
    right: 'rectification',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['retting', 'rette det', 'riktig nummer', 'riktig navn', 'riktig adresse', 'riktig e-post*', 'nytt mobilnummer', 'nytt telefonnummer', 'ny e-postadresse'],
      nn: ['retting', 'rette det', 'rett nummer', 'nytt mobilnummer'],
      en: ['correct number', 'wrong phone number', 'new phone number', 'new mobile number', 'misspelled'],
    },
  },
  // ----- privacy: completion
  {
    id: 'privacy.completion.phrase',
    queue: 'privacy',
    right: 'completion',
    weight: 5,
    in: 'any',
    terms: {
      nb: ['supplere .. opplysning*', 'supplering av .. opplysning*', 'ufullstendige .. opplysninger', 'mangelfulle .. opplysninger', 'komplettere .. opplysning*'],
      nn: ['supplere .. opplysningar', 'ufullstendige .. opplysningar', 'mangelfulle .. opplysningar'],
      en: ['complete my .. data', 'incomplete .. personal data', 'incomplete .. data about me', 'supplementary statement'],
    },
  },
  {
    id: 'privacy.completion.word',
    queue: 'privacy',
    right: 'completion',
    weight: 2,
    in: 'any',
    terms: { nb: ['supplering', 'ufullstendig'], nn: ['supplering', 'ufullstendig'], en: ['incomplete'] },
  },
  // ----- privacy: erasure
  {
    id: 'privacy.erasure.phrase',
    queue: 'privacy',
    right: 'erasure',
    weight: 5,
    in: 'any',
    terms: {
      nb: ['slett* .. personopplysning*', 'slett* .. opplysning* .. om meg', 'slett* meg', 'slett* .. mine data', 'fjern* .. personopplysning*', 'sletting av .. personopplysning*', 'rett til sletting', 'retten til sletting', 'bli glemt', 'anonymiser* .. meg'],
      nn: ['slett* .. opplysningar', 'slett* meg', 'fjern* .. opplysningar .. om meg'],
      en: ['delete my .. data', 'delete my .. information', 'delete all .. data', 'erase .. personal data', 'erase my', 'erasure', 'right to be forgotten', 'remove my .. personal data', 'article 17'],
      all: ['art. 17', 'art 17'],
    },
  },
  {
    id: 'privacy.erasure.word',
    queue: 'privacy',
    right: 'erasure',
    weight: 1.5,
    in: 'any',
    terms: { nb: ['slett*'], nn: ['slett*'], en: ['delete', 'erase'] },
  },
  // ----- privacy: objection
  {
    id: 'privacy.objection.phrase',
    queue: 'privacy',
    right: 'objection',
    weight: 5,
    in: 'any',
    terms: {
      nb: ['reserver* meg mot', 'reservasjon mot', 'reservasjonsrett*', 'motsetter meg', 'protesterer mot .. behandling*', 'ikke kontakt meg', 'ønsker ikke .. markedsføring', 'ikke motta .. markedsføring', 'ikke send meg .. reklame'],
      nn: ['reserverer meg mot', 'ikkje kontakt meg', 'ønskjer ikkje .. marknadsføring', 'ynskjer ikkje .. marknadsføring'],
      en: ['object to .. processing', 'object to .. marketing', 'objection to .. processing', 'opt out of .. marketing', 'stop .. direct marketing', 'do not contact me', "don't contact me", 'article 21'],
      all: ['art. 21', 'art 21'],
    },
  },
  // ----- unsubscribe (handled by the newsletter handler, reported as a right)
  {
    id: 'newsletter.unsubscribe',
    queue: 'newsletter-reply',
    right: 'unsubscribe',
    weight: 5,
    in: 'any',
    terms: {
      nb: ['meld meg av', 'meld meg ut', 'avmeld*', 'avslutt* .. abonnement*', 'ikke send meg flere', 'ikke send meg .. nyhetsbrev*', 'fjern meg fra .. liste*', 'fjern meg fra .. nyhetsbrev*', 'stopp .. nyhetsbrev*', 'ønsker ikke .. nyhetsbrev*', 'ønsker ikke å motta'],
      nn: ['meld meg av', 'meld meg ut', 'ikkje send meg fleire', 'fjern meg frå .. liste*', 'ønskjer ikkje .. nyheitsbrev*'],
      en: ['unsubscribe*', 'remove me from .. list', 'remove me from .. mailing*', 'stop sending .. newsletter*', 'stop sending me', 'take me off'],
    },
  },
  {
    id: 'newsletter.mention',
    queue: 'newsletter-reply',
    weight: 1.5,
    in: 'any',
    terms: { nb: ['nyhetsbrev*'], nn: ['nyheitsbrev*', 'nyhetsbrev*'], en: ['newsletter*'] },
  },
  // ----- do not track
  {
    id: 'privacy.do-not-track',
    queue: 'privacy',
    right: 'do-not-track',
    weight: 5,
    in: 'any',
    terms: {
      nb: ['ikke spor* meg', 'ikke spor*', 'ønsker ikke sporing', 'ingen sporing', 'slå av sporing', 'stopp sporing*', 'reserver* .. mot sporing'],
      nn: ['ikkje spor* meg', 'ikkje spor*', 'ingen sporing'],
      en: ['do not track', 'do-not-track', "don't track", 'stop tracking', 'no tracking', 'disable tracking', 'opt out of tracking'],
    },
  },
];

export const defaultRoutingConfig: RoutingConfig = routingConfigSchema.parse(undefined);

/** The keyword rules in force: shipped ones (unless switched off) plus extras, re-weighted. */
export function effectiveKeywordRules(config: RoutingConfig): KeywordRule[] {
  const base = config.includeDefaultKeywords ? [...DEFAULT_KEYWORD_RULES] : [];
  const rules = [...base, ...config.keywords].map((r) =>
    r.id in config.ruleWeights ? { ...r, weight: config.ruleWeights[r.id] } : r,
  );
  return rules.filter((r) => r.weight !== 0);
}
