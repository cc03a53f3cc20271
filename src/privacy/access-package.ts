/**
 * The access package (GDPR art. 15 and 20): everything Mailroom holds about one person, found
 * by walking the coverage registry (which the coverage test keeps complete against the entity
 * metadata), as machine-readable JSON and readable HTML, with the art. 15 information sheet
 * from configuration. Third parties are redacted by the registry's column lists (art. 15(4)).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import Handlebars from 'handlebars';
import type { CoverageEntry } from './coverage.ts';
import { entryRows } from './coverage-store.ts';
import type { SubjectKeys } from './subject.ts';
import type { PrivacyConfig } from './config.ts';

export interface AccessSection {
  entity: string;
  table: string;
  system: string;
  rows: Record<string, unknown>[];
}

export interface AccessPackage {
  generatedAt: string;
  subject: { email: string };
  informationSheet: InformationSheet;
  sections: AccessSection[];
  totalRecords: number;
}

export interface InformationSheet {
  language: 'nb' | 'en';
  controller: string;
  contact: string;
  purposes: { system: string; text: string }[];
  categories: string[];
  recipients: string[];
  retention: { system: string; text: string }[];
  source: string;
  automatedDecisions: string;
  rights: string[];
  complaint: string;
}

const RIGHTS = {
  nb: [
    'Rett til innsyn i egne opplysninger (art. 15) og til å få dem i et maskinlesbart format (art. 20)',
    'Rett til retting og supplering av uriktige eller ufullstendige opplysninger (art. 16)',
    'Rett til sletting (art. 17) og til begrensning av behandlingen (art. 18)',
    'Rett til å protestere mot markedsføring, og til å melde seg av nyhetsbrev og slå på DO NOT TRACK (art. 21)',
    'Krav besvares kostnadsfritt og senest innen 30 dager',
  ],
  en: [
    'Right of access to your data (art. 15) and to receive it in a machine-readable format (art. 20)',
    'Right to have inaccurate or incomplete data rectified or completed (art. 16)',
    'Right to erasure (art. 17) and to restriction of processing (art. 18)',
    'Right to object to marketing, to unsubscribe from newsletters and to switch on DO NOT TRACK (art. 21)',
    'Requests are answered free of charge and within 30 days',
  ],
};

export function informationSheet(cfg: PrivacyConfig['informationSheet'], language: 'nb' | 'nn' | 'en'): InformationSheet {
  const l = language === 'en' ? 'en' : 'nb';
  return {
    language: l,
    controller: cfg.controller,
    contact: cfg.contact,
    purposes: cfg.purposes.map((p) => ({ system: p.system, text: p[l] })),
    categories: cfg.categories.map((c) => c[l]),
    recipients: cfg.recipients.map((c) => c[l]),
    retention: cfg.retention.map((p) => ({ system: p.system, text: p[l] })),
    source: cfg.source[l],
    automatedDecisions: cfg.automatedDecisions[l],
    rights: RIGHTS[l],
    complaint:
      l === 'nb'
        ? `Du kan klage til Datatilsynet (${cfg.supervisoryAuthority}) og gå til domstolene.`
        : `You may complain to the Norwegian Data Protection Authority, Datatilsynet (${cfg.supervisoryAuthority}), and go to the courts.`,
  };
}

function clean(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return `[${v.length} bytes]`;
  return v;
}

export async function collectSections(em: EntityManager, keys: SubjectKeys, entries: CoverageEntry[]): Promise<AccessSection[]> {
  const sections: AccessSection[] = [];
  for (const e of entries) {
    if (!e.match) continue;
    const rows = await entryRows(em, { ...e, match: e.match }, keys);
    if (!rows.length) continue;
    sections.push({ entity: e.entity, table: e.table, system: e.system, rows: rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, clean(v)]))) });
  }
  return sections;
}

export async function buildAccessPackage(
  em: EntityManager,
  input: { keys: SubjectKeys; config: PrivacyConfig; language: 'nb' | 'nn' | 'en'; now: Date; coverage: CoverageEntry[] },
): Promise<AccessPackage> {
  const sections = await collectSections(em, input.keys, input.coverage);
  return {
    generatedAt: input.now.toISOString(),
    subject: { email: input.keys.emails[0] ?? '' },
    informationSheet: informationSheet(input.config.informationSheet, input.language),
    sections,
    totalRecords: sections.reduce((n, s) => n + s.rows.length, 0),
  };
}

const HTML = Handlebars.compile(
  `<!doctype html><html lang="{{sheet.language}}"><head><meta charset="utf-8"><title>{{title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;margin-bottom:2rem;font-size:.9rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}</style></head>
<body><h1>{{title}}</h1><p>{{generatedLabel}} {{pkg.generatedAt}} · {{pkg.subject.email}}</p>
<h2>{{sheetTitle}}</h2>
<dl><dt>{{labels.controller}}</dt><dd>{{sheet.controller}} ({{sheet.contact}})</dd>
<dt>{{labels.purposes}}</dt><dd><ul>{{#each sheet.purposes}}<li>{{text}}</li>{{/each}}</ul></dd>
<dt>{{labels.categories}}</dt><dd><ul>{{#each sheet.categories}}<li>{{this}}</li>{{/each}}</ul></dd>
<dt>{{labels.recipients}}</dt><dd><ul>{{#each sheet.recipients}}<li>{{this}}</li>{{/each}}</ul></dd>
<dt>{{labels.retention}}</dt><dd><ul>{{#each sheet.retention}}<li>{{text}}</li>{{/each}}</ul></dd>
<dt>{{labels.source}}</dt><dd>{{sheet.source}}</dd>
<dt>{{labels.automated}}</dt><dd>{{sheet.automatedDecisions}}</dd>
<dt>{{labels.rights}}</dt><dd><ul>{{#each sheet.rights}}<li>{{this}}</li>{{/each}}</ul></dd>
<dt>{{labels.complaint}}</dt><dd>{{sheet.complaint}}</dd></dl>
<h2>{{dataTitle}} ({{pkg.totalRecords}})</h2>
{{#each sections}}<h3>{{system}}: {{table}} ({{rows.length}})</h3><table><tr>{{#each columns}}<th>{{this}}</th>{{/each}}</tr>{{#each cells}}<tr>{{#each this}}<td>{{this}}</td>{{/each}}</tr>{{/each}}</table>{{/each}}
</body></html>`,
);

export function renderPackageHtml(pkg: AccessPackage): string {
  const nb = pkg.informationSheet.language === 'nb';
  const sections = pkg.sections.map((s) => {
    const columns = Object.keys(s.rows[0] ?? {});
    return { ...s, columns, cells: s.rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '' : typeof r[c] === 'object' ? JSON.stringify(r[c]) : String(r[c])))) };
  });
  return HTML({
    pkg,
    sheet: pkg.informationSheet,
    sections,
    title: nb ? 'Innsyn: dine personopplysninger' : 'Access: your personal data',
    generatedLabel: nb ? 'Laget' : 'Generated',
    sheetTitle: nb ? 'Informasjon om behandlingen (art. 15)' : 'About the processing (art. 15)',
    dataTitle: nb ? 'Opplysningene vi har om deg' : 'The data we hold about you',
    labels: nb
      ? { controller: 'Behandlingsansvarlig', purposes: 'Formål', categories: 'Kategorier', recipients: 'Mottakere', retention: 'Lagringstid', source: 'Kilde', automated: 'Automatiserte avgjørelser', rights: 'Dine rettigheter', complaint: 'Klage' }
      : { controller: 'Controller', purposes: 'Purposes', categories: 'Categories', recipients: 'Recipients', retention: 'Retention', source: 'Source', automated: 'Automated decisions', rights: 'Your rights', complaint: 'Complaints' },
  });
}
