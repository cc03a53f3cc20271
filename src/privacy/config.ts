/**
 * The `privacy` section of config/mailroom.yaml: the facts of the art. 15 information sheet
 * (from the privacy statement in the seed), the erasure policy, retention, reminders and the
 * lifetimes of the one-time links. Every key has a default, so an empty section works.
 */
import { z } from 'zod';

const text = z.object({ nb: z.string(), en: z.string() }).strict();
const item = z.object({ system: z.string(), nb: z.string(), en: z.string() }).strict();

export const privacyConfigSchema = z
  .object({
    /** Art. 15(1) and 13: who is responsible, what for, what, to whom, how long, where from. */
    informationSheet: z
      .object({
        controller: z.string().default('InfraComfort AS, ved daglig leder (behandlingsansvarlig)'),
        contact: z.string().default('post@infracomfort.example'),
        purposes: z.array(item).default([
          { system: 'crm', nb: 'Salgsstøtte: tilbud og oppfølging av kunder og kontaktpersoner som ønsker tilbud', en: 'Sales support: quotes and follow-up of customers and contacts who asked for offers' },
          { system: 'support', nb: 'Kundeservice: registrering og behandling av supportsaker med unik saks-ID', en: 'Customer service: recording and handling support cases with a unique case ID' },
          { system: 'orders', nb: 'Ordre: levering, ordreoppfølging, regnskap, avgift og garanti/retur', en: 'Orders: delivery, order follow-up, accounting, tax and warranty/returns' },
          { system: 'portal', nb: 'Produkt- og kunnskapsportal: opplæring og bestilling', en: 'Product and knowledge portal: training and ordering' },
          { system: 'projects', nb: 'Prosjektverktøy: deltakelse i kundeprosjekter', en: 'Project tool: participation in customer projects' },
          { system: 'ops-notices', nb: 'Driftsmeldinger til ansvarlig kontaktperson', en: 'Operations notices to the responsible contact' },
          { system: 'newsletter', nb: 'Nyhetsbrev og viktig informasjon (med registrering av åpninger og klikk, med mindre DO NOT TRACK er slått på)', en: 'Newsletters and important information (opens and clicks recorded unless DO NOT TRACK is on)' },
        ]),
        categories: z.array(text).default([
          { nb: 'Kontaktinformasjon: navn, stilling, telefonnummer og e-postadresse', en: 'Contact details: name, title, phone number and email address' },
          { nb: 'E-postkommunikasjon knyttet til markedsføring, salg, support og bruk av produktene', en: 'Email about marketing, sales, support and use of the products' },
          { nb: 'Bestillinger og hvem som bestilte (navn, adresse, mobilnummer, e-post, land)', en: 'Orders and who placed them (name, address, mobile number, email, country)' },
          { nb: 'Portalbruker (brukernavn, navn, e-post, mobil) og prosjektdeltakelse (navn, rolle, e-post, mobil)', en: 'Portal user (username, name, email, mobile) and project participation (name, role, email, mobile)' },
        ]),
        recipients: z.array(text).default([
          { nb: 'Våre skytjenesteleverandører (databehandlere) for CRM, support, portal, prosjektverktøy og nyhetsbrev', en: 'Our cloud service providers (processors) for CRM, support, portal, project tool and newsletter' },
          { nb: 'Klarna ved betaling med Klarna (InfraComfort lagrer ikke personnummer)', en: 'Klarna when paying with Klarna (InfraComfort does not store national ID numbers)' },
        ]),
        retention: z.array(item).default([
          { system: 'crm', nb: 'Til du ber om sletting; da slettes eller anonymiseres opplysningene', en: 'Until you ask for erasure; then deleted or anonymised' },
          { system: 'support', nb: 'Supportsaker beholdes som dokumentasjon av bedriftens bruk av programvaren (berettiget interesse, art. 6(1)(f), og rettskrav, art. 17(3)(e))', en: 'Support cases are kept as documentation of the company\'s use of the software (legitimate interest, art. 6(1)(f), and legal claims, art. 17(3)(e))' },
          { system: 'orders', nb: '5 år etter utløpet av regnskapsåret (bokføringsloven § 13), deretter slettes de', en: '5 years after the end of the financial year (Bookkeeping Act § 13), then deleted' },
          { system: 'newsletter', nb: 'Til du melder deg av; en avmelding beholdes som en hashet sperre', en: 'Until you unsubscribe; an opt-out is kept as a hashed suppression entry' },
        ]),
        source: text.default({
          nb: 'Fra deg selv, fra din arbeidsgiver (kunde, partner eller forhandler) eller fra kontaktskjema på våre forhandlersider',
          en: 'From you, from your employer (customer, partner or dealer) or from the contact forms on our dealer pages',
        }),
        automatedDecisions: text.default({ nb: 'Vi treffer ingen automatiserte avgjørelser eller profilering om deg.', en: 'We make no automated decisions or profiling about you.' }),
        supervisoryAuthority: z.string().default('Datatilsynet, Postboks 458 Sentrum, 0105 Oslo, www.datatilsynet.no'),
      })
      .strict()
      .prefault({}),
    erasure: z
      .object({
        /** CRM contacts and leads on erasure: deleted, or anonymised (kept for statistics). */
        crm: z.enum(['delete', 'anonymise']).default('delete'),
      })
      .strict()
      .prefault({}),
    retention: z
      .object({
        /** Bookkeeping Act § 13: orders are kept this many years after the financial year ends. */
        orderYears: z.number().int().min(0).default(5),
        /** Month (1-12) the financial year ends in. */
        financialYearEndMonth: z.number().int().min(1).max(12).default(12),
        /** The retention job deletes expired orders by itself. */
        purgeExpiredOrders: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** Slack reminders this many days before the due date; an escalation when overdue. */
    reminderDays: z.array(z.number().int().min(1)).default([7, 3, 1]),
    tokens: z
      .object({
        verifyTtlHours: z.number().min(1).max(24 * 7).default(72),
        packageTtlHours: z.number().min(1).max(24 * 14).default(120),
      })
      .strict()
      .prefault({}),
    /**
     * authserv-id of our own receiving MTA: its topmost Authentication-Results header is trusted
     * for dmarc=; without it, the stored raw message is checked with mailauth.
     */
    trustedAuthservId: z.string().optional(),
  })
  .strict()
  .prefault({});

export type PrivacyConfig = z.infer<typeof privacyConfigSchema>;
export const defaultPrivacyConfig: PrivacyConfig = privacyConfigSchema.parse(undefined);
