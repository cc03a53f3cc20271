/**
 * What a letter to a person calls their data: the categories of the privacy statement
 * ("e-post du har sendt oss", "supportsaker", …), never table names, and for what is kept a
 * reason in the letter's own language. Pure: the coverage registry says which table belongs
 * to which system; this file says how a person reads it.
 */
import type { TemplateLanguage } from '../templates/render-template.ts';
import { formatDay } from '../templates/human-date.ts';
import type { ErasurePlan } from './erasure.ts';

export type Category =
  | 'contact'
  | 'offers'
  | 'purchase-mail'
  | 'support-cases'
  | 'mail-from-you'
  | 'mail-to-you'
  | 'orders'
  | 'portal'
  | 'projects'
  | 'ops-notices'
  | 'newsletter'
  | 'suppression'
  | 'privacy-requests'
  | 'other';

type Words = Record<TemplateLanguage, string>;

/** The names, as the privacy statement (seed) words them. */
export const CATEGORY_NAMES: Record<Category, Words> = {
  contact: {
    nb: 'kontaktopplysningene dine (navn, stilling, telefonnummer og e-postadresse)',
    nn: 'kontaktopplysningane dine (namn, stilling, telefonnummer og e-postadresse)',
    en: 'your contact details (name, title, phone number and email address)',
  },
  offers: { nb: 'tilbudsforespørsler i salgsstøttesystemet', nn: 'tilbodsførespurnader i salsstøttesystemet', en: 'requests for offers in our sales support system' },
  'purchase-mail': { nb: 'e-postkommunikasjon om kjøp', nn: 'e-postkommunikasjon om kjøp', en: 'email correspondence about purchases' },
  'support-cases': { nb: 'supportsaker', nn: 'supportsaker', en: 'support cases' },
  'mail-from-you': { nb: 'e-post du har sendt oss (med vedlegg)', nn: 'e-post du har sendt oss (med vedlegg)', en: 'email you have sent us (with attachments)' },
  'mail-to-you': { nb: 'e-post vi har sendt deg', nn: 'e-post vi har sendt deg', en: 'email we have sent you' },
  orders: { nb: 'bestillinger og ordre', nn: 'bestillingar og ordrar', en: 'orders' },
  portal: { nb: 'brukerkontoen din i produkt- og kunnskapsportalen', nn: 'brukarkontoen din i produkt- og kunnskapsportalen', en: 'your account in the product and knowledge portal' },
  projects: { nb: 'deltakelse i kundeprosjekter', nn: 'deltaking i kundeprosjekt', en: 'your part in customer projects' },
  'ops-notices': { nb: 'listen for driftsmeldinger', nn: 'lista for driftsmeldingar', en: 'the operations notice list' },
  newsletter: {
    nb: 'nyhetsbrev (påmelding, og hvilke nyhetsbrev du har åpnet og klikket i)',
    nn: 'nyheitsbrev (påmelding, og kva for nyheitsbrev du har opna og klikka i)',
    en: 'newsletters (your subscription, and which newsletters you opened and clicked)',
  },
  suppression: { nb: 'sperrelisten for utsendelser', nn: 'sperrelista for utsendingar', en: 'the do-not-mail list' },
  'privacy-requests': { nb: 'personvernhenvendelsene dine', nn: 'personvernførespurnadene dine', en: 'your privacy requests' },
  other: { nb: 'andre opplysninger om deg', nn: 'andre opplysningar om deg', en: 'other information about you' },
};

const BELONGS_TO_KEPT_CASE: Words = {
  nb: 'hører til supportsaker eller personvernhenvendelser som beholdes, blir beholdt sammen med dem; resten er slettet.',
  nn: 'høyrer til supportsaker eller personvernførespurnader som blir verande, blir verande saman med dei; resten er sletta.',
  en: 'belongs to support cases or privacy requests that are kept stays with them; the rest is deleted.',
};

/** Why a category is kept after an erasure, in each language (the grounds of coverage.ts, for people). */
export const KEPT_REASONS: Partial<Record<Category, Words>> = {
  'support-cases': {
    nb: 'Supportsaker er dokumentasjon av bedriftens bruk av programvaren vår og kan ikke slettes (personvernerklæringen). Vi beholder dem i avtaleperioden og deretter i foreldelsesfristen på 3 år, av berettiget interesse og for å kunne forsvare rettskrav (personvernforordningen art. 6 nr. 1 f og art. 17 nr. 3 e).',
    nn: 'Supportsaker er dokumentasjon av bedrifta si bruk av programvara vår og kan ikkje slettast (personvernerklæringa). Vi held på dei i avtaleperioden og deretter i foreldingsfristen på 3 år, ut frå berettiga interesse og for å kunne forsvare rettskrav (personvernforordninga art. 6 nr. 1 f og art. 17 nr. 3 e).',
    en: "Support cases document your company's use of our software and cannot be deleted (our privacy statement). We keep them for the agreement period and then for the 3-year limitation period, on legitimate interest and to be able to defend legal claims (GDPR art. 6(1)(f) and 17(3)(e)).",
  },
  'mail-from-you': { nb: `Det som ${BELONGS_TO_KEPT_CASE.nb}`, nn: `Det som ${BELONGS_TO_KEPT_CASE.nn}`, en: `What ${BELONGS_TO_KEPT_CASE.en}` },
  'mail-to-you': { nb: `Det som ${BELONGS_TO_KEPT_CASE.nb}`, nn: `Det som ${BELONGS_TO_KEPT_CASE.nn}`, en: `What ${BELONGS_TO_KEPT_CASE.en}` },
  'purchase-mail': { nb: `Det som ${BELONGS_TO_KEPT_CASE.nb}`, nn: `Det som ${BELONGS_TO_KEPT_CASE.nn}`, en: `What ${BELONGS_TO_KEPT_CASE.en}` },
  contact: {
    nb: 'Der en supportsak eller en bestilling som beholdes viser til deg, er kontaktoppføringen anonymisert (uten navn, adresse, telefon og roller) i stedet for slettet.',
    nn: 'Der ei supportsak eller ei bestilling som blir verande viser til deg, er kontaktoppføringa anonymisert (utan namn, adresse, telefon og roller) i staden for sletta.',
    en: 'Where a kept support case or order refers to you, the contact entry is anonymised (no name, address, phone or roles) instead of deleted.',
  },
  orders: {
    nb: 'Bestillinger må oppbevares for regnskapet til 5 år etter utgangen av regnskapsåret (bokføringsloven § 13, personvernforordningen art. 17 nr. 3 b); deretter slettes de.',
    nn: 'Bestillingar må oppbevarast for rekneskapen til 5 år etter utgangen av rekneskapsåret (bokføringslova § 13, personvernforordninga art. 17 nr. 3 b); deretter blir dei sletta.',
    en: 'Orders must be kept for bookkeeping until 5 years after the end of their financial year (the Norwegian Bookkeeping Act, bokføringsloven § 13; GDPR art. 17(3)(b)); then they are deleted.',
  },
  suppression: {
    nb: 'Vi beholder bare en enveis-hash av adressen (ikke selve adressen), slik at du ikke får nyhetsbrev eller markedsføring igjen uten å melde deg på på nytt (personvernforordningen art. 21 nr. 3).',
    nn: 'Vi held berre på ein eivegs-hash av adressa (ikkje sjølve adressa), slik at du ikkje får nyheitsbrev eller marknadsføring igjen utan å melde deg på på nytt (personvernforordninga art. 21 nr. 3).',
    en: 'We keep only a one-way hash of the address (not the address itself), so that you get no newsletters or marketing again unless you sign up anew (GDPR art. 21(3)).',
  },
  'privacy-requests': {
    nb: 'Henvendelsen din, svaret vårt og loggen over hvem som gjorde hva beholdes for å dokumentere at kravet ditt er behandlet (personvernforordningen art. 5 nr. 2 og art. 17 nr. 3 e).',
    nn: 'Førespurnaden din, svaret vårt og loggen over kven som gjorde kva blir verande for å dokumentere at kravet ditt er behandla (personvernforordninga art. 5 nr. 2 og art. 17 nr. 3 e).',
    en: 'Your request, our answer and the log of who did what are kept to show that your request was handled (GDPR art. 5(2) and 17(3)(e)).',
  },
};

/** For a kept category this file has no words for: still the letter's language, never the registry's English. */
const KEPT_FALLBACK: Words = {
  nb: 'Vi har plikt til eller et saklig behov for å beholde dette. Svar på denne e-posten hvis du vil vite grunnlaget.',
  nn: 'Vi har plikt til eller eit sakleg behov for å halde på dette. Svar på denne e-posten om du vil vite grunnlaget.',
  en: 'We are obliged to, or have a legitimate need to, keep this. Reply to this email if you want to know the legal basis.',
};

const BY_TABLE: Record<string, Category> = {
  contact: 'contact',
  lead: 'offers',
  email_log: 'purchase-mail',
  ticket: 'support-cases',
  ticket_participant: 'support-cases',
  record_message: 'support-cases',
  inbound_message: 'mail-from-you',
  inbound_raw_chunk: 'mail-from-you',
  attachment: 'mail-from-you',
  triage_item: 'mail-from-you',
  outbox_message: 'mail-to-you',
  acknowledgement: 'mail-to-you',
  customer_order: 'orders',
  portal_user: 'portal',
  project_participant: 'projects',
};

const BY_SYSTEM: Record<string, Category> = {
  crm: 'contact',
  support: 'support-cases',
  mail: 'mail-from-you',
  orders: 'orders',
  portal: 'portal',
  projects: 'projects',
  'ops-notices': 'ops-notices',
  newsletter: 'newsletter',
  privacy: 'privacy-requests',
};

/** The category a table of the coverage registry belongs to, for a person reading a letter. */
export function categoryOf(table: string, system: string): Category {
  if (/suppression/.test(table)) return 'suppression';
  return BY_TABLE[table] ?? BY_SYSTEM[system] ?? 'other';
}

export function categoryName(c: Category, l: TemplateLanguage): string {
  return CATEGORY_NAMES[c][l];
}

export function keptReason(c: Category, l: TemplateLanguage): string {
  return (KEPT_REASONS[c] ?? KEPT_FALLBACK)[l];
}

export type ErasureLetter = {
  deleted: { category: string; anonymised: boolean }[];
  kept: { category: string; reason: string; until?: string }[];
  nothingFound: boolean;
};

/**
 * The erasure confirmation's lists: per category (tables of one category merged, in the order
 * the plan meets them), what was deleted or anonymised, and what was kept, until when and why.
 */
export function erasureLetter(plan: ErasurePlan, l: TemplateLanguage): ErasureLetter {
  const deleted = new Map<Category, { anonymised: boolean }>();
  const kept = new Map<Category, { until?: string }>();
  for (const x of plan.lines) {
    const c = categoryOf(x.table, x.system);
    // A mixed line does not know what it deleted: it is listed as kept, with "the rest is deleted".
    if ((x.found - x.kept > 0 && x.action !== 'mixed') || x.action === 'delete-or-anonymise' || x.action === 'anonymise') {
      const d = deleted.get(c) ?? { anonymised: false };
      d.anonymised ||= x.action === 'anonymise';
      deleted.set(c, d);
    }
    if (x.kept > 0 || x.action === 'mixed') {
      const k = kept.get(c) ?? {};
      if (x.keptUntil && (!k.until || x.keptUntil > k.until)) k.until = x.keptUntil;
      kept.set(c, k);
    }
  }
  return {
    deleted: [...deleted].map(([c, d]) => ({ category: categoryName(c, l), anonymised: d.anonymised })),
    kept: [...kept].map(([c, k]) => ({ category: categoryName(c, l), reason: keptReason(c, l), ...(k.until ? { until: formatDay(k.until, l) } : {}) })),
    nothingFound: plan.lines.length === 0,
  };
}
