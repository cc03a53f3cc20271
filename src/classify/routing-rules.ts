/**
 * Schema and defaults of the `routing` section of config/mailroom.yaml.
 *
 * Every key has a default, so `routingConfigSchema.parse(undefined)` is the shipped rule
 * set (`defaultRoutingConfig`). Operators tune by adding rules (`keywords`), re-weighting
 * or disabling shipped ones by id (`ruleWeights`), or replacing them wholesale
 * (`includeDefaultKeywords: false`). See src/classify/README.md for the scoring model.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { compileTerm } from './terms.ts';

/**
 * What a message can be scored for. `spam` is scored like the others, but a spam route files
 * the message as a triage item suggested as spam: never a record, never an acknowledgement.
 */
export const QUEUES = ['support', 'sales', 'privacy', 'newsletter-reply', 'spam'] as const;
export type Queue = (typeof QUEUES)[number];

/** Where a message goes that no signal claims for another queue (`routing.defaultQueue`). */
export const DEFAULT_QUEUE_CHOICES = ['support', 'sales', 'triage'] as const;

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

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
    spam: z.number().optional(),
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
    /**
     * A human first-contact message that no queue claims (nothing reaches minScore, or the
     * best has no clear lead and the rest is weak) goes here: every helpdesk turns such mail
     * into a ticket. `triage` makes staff decide each one instead.
     */
    defaultQueue: z.enum(DEFAULT_QUEUE_CHOICES).default('support'),
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
        /**
         * Weaker privacy evidence from this much up, when nothing else is stronger, goes to
         * triage: a request worded in a way the rules do not know must not become a ticket
         * unseen. Below it ("nummeret mitt" in a fault report), privacy evidence is ignored.
         */
        triageScore: z.number().default(3),
        /** A right is reported only with at least this much evidence for it. */
        rightMinScore: z.number().default(2),
      })
      .strict()
      .prefault({}),
    spam: z
      .object({
        /**
         * At or above this spam evidence the message is spam whatever else it mentions (a
         * pitch talks about prices, a phishing mail about passwords), unless privacy
         * qualifies. The shipped spam phrases weigh 3: two of them, or one and a link.
         */
        minScore: z.number().default(4.5),
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

export const defaultRoutingConfig: RoutingConfig = routingConfigSchema.parse(undefined);

/**
 * The shipped keyword rules are data: config/default-rules.yaml at the package root. Found from
 * this module (src/classify/ or, compiled, dist/classify/: both two levels down), so the daemon,
 * the CLI, the bench and the tests read the same file wherever they are started from.
 */
export const DEFAULT_RULES_FILE = fileURLToPath(new URL('../../config/default-rules.yaml', import.meta.url));

/** A shipped rules file that cannot be used: `key` names the file, the rule id and its key. */
export class DefaultRulesError extends Error {
  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${key}: ${problem}`);
    this.name = 'DefaultRulesError';
  }
}

const defaultRulesFileSchema = z.object({ rules: z.array(keywordRuleSchema) }).strict();

/**
 * Reads and checks a rules file with the schema of `routing.keywords`. A problem names the rule
 * by id (`config/default-rules.yaml: support.fault: terms.nb[3]: invalid term: …`), since its
 * index means nothing to the person who broke it.
 */
export function loadKeywordRulesFile(file: string): KeywordRule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DefaultRulesError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` at line ${e.linePos[0].line}` : '';
    throw new DefaultRulesError(file, `is not valid YAML${where}`);
  }
  const parsed = defaultRulesFileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const [top, index, ...rest] = issue.path;
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
    const problem = issue.code === 'unrecognized_keys' ? 'unknown key (check its spelling)' : issue.message;
    if (top === 'rules' && typeof index === 'number') {
      const raw = (doc as { rules: unknown[] }).rules[index] as { id?: unknown } | null;
      const rule = raw && typeof raw.id === 'string' ? raw.id : `rules[${index}]`;
      const key = keyOf(issue.code === 'unrecognized_keys' ? path.slice(2) : rest);
      throw new DefaultRulesError(`${file}: ${rule}${key ? `: ${key}` : ''}`, problem);
    }
    throw new DefaultRulesError(`${file}${path.length ? `: ${keyOf(path)}` : ''}`, problem);
  }
  const seen = new Set<string>();
  for (const rule of parsed.data.rules) {
    if (seen.has(rule.id)) throw new DefaultRulesError(`${file}: ${rule.id}`, 'id used twice (ruleWeights could not tell them apart)');
    seen.add(rule.id);
  }
  return parsed.data.rules;
}

/** `terms.nb[3]`, as a key is read in YAML. */
function keyOf(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

let shipped: readonly KeywordRule[] | undefined;

/** The shipped rules (`routing.includeDefaultKeywords`), read once; `loadConfig` reads them at start-up. */
export function defaultKeywordRules(): readonly KeywordRule[] {
  shipped ??= Object.freeze(loadKeywordRulesFile(DEFAULT_RULES_FILE));
  return shipped;
}

/** The keyword rules in force: shipped ones (unless switched off) plus extras, re-weighted. */
export function effectiveKeywordRules(config: RoutingConfig): KeywordRule[] {
  const base = config.includeDefaultKeywords ? [...defaultKeywordRules()] : [];
  const rules = [...base, ...config.keywords].map((r) =>
    r.id in config.ruleWeights ? { ...r, weight: config.ruleWeights[r.id] } : r,
  );
  return rules.filter((r) => r.weight !== 0);
}
