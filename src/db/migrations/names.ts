/**
 * The migrations in order, by name: enough to tell whether a database is up to date without
 * loading them (and @mikro-orm/migrations, a tenth of a CLI command's start-up). index.ts lists
 * the same names with their classes and refuses to load when the two lists differ.
 */
export const MIGRATION_NAMES = [
  'Migration20261126000001_outbox',
  'Migration20261126000002_ingest',
  'Migration20261126000003_filing',
  'Migration20261126000004_tasks',
  'Migration20261126000005_company_records',
  'Migration20261126000006_raw_storage',
  'Migration20261126000007_lead_link',
  'Migration20261126000008_privacy',
  'Migration20261126000009_newsletter',
  'Migration20261126000010_notices',
  'Migration20261126000011_body_split',
  'Migration20261126000012_quarantine_index',
  'Migration20261126000013_classification_correction',
  'Migration20261126000014_keyed_suppression',
  'Migration20261126000015_notice_cancellation',
  'Migration20261126000016_filed_by',
];
