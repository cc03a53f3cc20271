#!/usr/bin/env node
// "Version N+1" of Mailroom for the upgrade test: the same code as bin/mailroom.js plus one
// additive migration that only tests know (test/support/next-version-migration.ts). The
// migration list is an exported array, so it is extended before the CLI loads; nothing ships.
import { register } from 'tsx/esm/api';

register();
const { migrationsList } = await import(new URL('../../src/db/migrations/index.ts', import.meta.url).href);
const { MIGRATION_NAMES } = await import(new URL('../../src/db/migrations/names.ts', import.meta.url).href);
const { NEXT_VERSION_MIGRATION, NextVersionMigration } = await import(new URL('./next-version-migration.ts', import.meta.url).href);
migrationsList.push({ name: NEXT_VERSION_MIGRATION, class: NextVersionMigration });
// Both lists: names.ts tells whether the schema is up to date without loading the migrations.
MIGRATION_NAMES.push(NEXT_VERSION_MIGRATION);
await import(new URL('../../src/cli/main.ts', import.meta.url).href);
