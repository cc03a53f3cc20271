import { Migration20261126000001_outbox } from './Migration20261126000001_outbox.ts';
import { Migration20261126000002_ingest } from './Migration20261126000002_ingest.ts';
import { Migration20261126000003_filing } from './Migration20261126000003_filing.ts';
import { Migration20261126000004_tasks } from './Migration20261126000004_tasks.ts';
import { Migration20261126000005_company_records } from './Migration20261126000005_company_records.ts';
import { Migration20261126000006_raw_storage } from './Migration20261126000006_raw_storage.ts';
import { Migration20261126000007_lead_link } from './Migration20261126000007_lead_link.ts';
import { Migration20261126000008_privacy } from './Migration20261126000008_privacy.ts';
import { Migration20261126000009_newsletter } from './Migration20261126000009_newsletter.ts';
import { Migration20261126000010_notices } from './Migration20261126000010_notices.ts';
import { Migration20261126000011_body_split } from './Migration20261126000011_body_split.ts';
import { Migration20261126000012_quarantine_index } from './Migration20261126000012_quarantine_index.ts';
import { Migration20261126000013_classification_correction } from './Migration20261126000013_classification_correction.ts';
import { Migration20261126000014_keyed_suppression } from './Migration20261126000014_keyed_suppression.ts';
import { Migration20261126000015_notice_cancellation } from './Migration20261126000015_notice_cancellation.ts';
import { Migration20261126000016_filed_by } from './Migration20261126000016_filed_by.ts';

import { MIGRATION_NAMES } from './names.ts';

/**
 * Migrations are listed explicitly rather than found by a file glob, so they run the same
 * from a source checkout under tsx, from the CLI and from tests.
 */
export const migrationsList = [
  { name: 'Migration20261126000001_outbox', class: Migration20261126000001_outbox },
  { name: 'Migration20261126000002_ingest', class: Migration20261126000002_ingest },
  { name: 'Migration20261126000003_filing', class: Migration20261126000003_filing },
  { name: 'Migration20261126000004_tasks', class: Migration20261126000004_tasks },
  { name: 'Migration20261126000005_company_records', class: Migration20261126000005_company_records },
  { name: 'Migration20261126000006_raw_storage', class: Migration20261126000006_raw_storage },
  { name: 'Migration20261126000007_lead_link', class: Migration20261126000007_lead_link },
  { name: 'Migration20261126000008_privacy', class: Migration20261126000008_privacy },
  { name: 'Migration20261126000009_newsletter', class: Migration20261126000009_newsletter },
  { name: 'Migration20261126000010_notices', class: Migration20261126000010_notices },
  { name: 'Migration20261126000011_body_split', class: Migration20261126000011_body_split },
  { name: 'Migration20261126000012_quarantine_index', class: Migration20261126000012_quarantine_index },
  { name: 'Migration20261126000013_classification_correction', class: Migration20261126000013_classification_correction },
  { name: 'Migration20261126000014_keyed_suppression', class: Migration20261126000014_keyed_suppression },
  { name: 'Migration20261126000015_notice_cancellation', class: Migration20261126000015_notice_cancellation },
  { name: 'Migration20261126000016_filed_by', class: Migration20261126000016_filed_by },
];

if (migrationsList.map((m) => m.name).join() !== MIGRATION_NAMES.join()) {
  throw new Error('src/db/migrations/index.ts and names.ts list different migrations: add a new one to both, in the same order');
}
