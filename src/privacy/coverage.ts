/**
 * Which tables hold personal data, and how the access package and an erasure treat each.
 *
 * ONE ENTRY PER ENTITY (or per table that has no entity). The coverage test enumerates the
 * ORM metadata (orm.getMetadata()) and every table in the database, and fails when something
 * with personal-looking columns (email, name, phone, address, …) has no entry here, so a new
 * entity cannot silently escape access and erasure.
 *
 * Other concerns keep their own entries in their folder, e.g. src/newsletter/privacy-coverage-store.ts:
 *
 *   export const newsletterCoverage: CoverageEntry[] = [{ entity: 'Subscriber', table: 'newsletter_subscriber', … }];
 *
 * and the composition root (src/app/privacy-setup.ts) merges them with `coreCoverage` into
 * PrivacyDeps.coverage: privacy never imports the folders it covers.
 *
 * `match` and `erase.sql` are SQL with named placeholders (:contacts, :emails, :cases, :policy,
 * :now); the core entries, their shared fragments and the queries that run them are in
 * coverage-store.ts.
 */
import { coreCoverage } from './coverage-store.ts';

export { coreCoverage };

export type SystemKey =
  | 'crm'
  | 'support'
  | 'mail'
  | 'orders'
  | 'portal'
  | 'projects'
  | 'ops-notices'
  | 'newsletter'
  | 'privacy'
  | 'staff'
  | (string & {});

export type EraseAction = 'delete' | 'anonymise' | 'crm-policy' | 'keep' | 'retention' | 'mixed' | 'none';

export interface CoverageEntry {
  /** Entity name from orm.getMetadata(), or the table name when the table has no entity. */
  entity: string;
  table: string;
  system: SystemKey;
  /** Holds personal data about customers/subjects (false: e.g. staff-only or technical data). */
  personal: boolean;
  /** Access: SQL condition selecting the person's rows (placeholders above). */
  match?: string;
  /** Access: select list (default `*`); use it to leave out bytes or to redact third parties. */
  columns?: string;
  erase: {
    action: EraseAction;
    /** Statements run in order by the executor (one transaction, after approval). */
    sql?: string[];
    /** Run order across entries (lower first: children before parents). */
    order?: number;
    /** What is kept after an erasure and the legal ground; empty when nothing is kept. */
    ground?: string;
  };
  /** Why it holds no personal data (personal: false). */
  note?: string;
}

/** The core entries and other concerns' entries as one list; an entity named twice is an error. */
export function mergeCoverage(...lists: CoverageEntry[][]): CoverageEntry[] {
  const all = [coreCoverage, ...lists].flat();
  const seen = new Set<string>();
  for (const e of all) {
    if (seen.has(e.entity)) throw new Error(`privacy coverage: ${e.entity} is registered twice`);
    seen.add(e.entity);
  }
  return all;
}

/** Column names that look like they hold personal data (the coverage test's heuristic). */
export const PERSONAL_COLUMN = /(^|_|[a-z])(e-?mail|name|phone|mobile|address|recipient|username)($|_|[A-Z])/i;
